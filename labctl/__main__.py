"""`python -m labctl`: the same entry point as the `labctl` console script (labctl/entry.py)."""

from labctl.entry import main

main()
