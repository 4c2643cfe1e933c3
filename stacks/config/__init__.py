"""A stack's config: reading it, the typed sections, the rules that span keys, and the loader that reports every
problem at once (docs/architecture.md, "Adding a config key", says where a new key goes)."""
