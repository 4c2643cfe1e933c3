"""Azure facts the program and the tools share, each with its source."""
