"""A stack's config: reading it, the typed sections, the rules that span keys, and the loader that reports every
problem at once (see /work/coord/LAYOUT.md or docs/architecture.md: "Adding a config key")."""
