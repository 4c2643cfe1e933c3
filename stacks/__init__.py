"""The stack layer: reads and validates a stack's config and composes the components."""
