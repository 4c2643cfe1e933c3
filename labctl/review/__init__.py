"""labctl diff: what a change does to Azure, from two plan snapshots."""
