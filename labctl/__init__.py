"""labctl: the command-line tool of aoai-lab."""
