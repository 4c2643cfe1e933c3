"""labctl preflight: where the lab can run."""
