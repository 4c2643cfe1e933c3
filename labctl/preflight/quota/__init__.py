"""The quota decision: does the whole lab fit a region, deployment by deployment. Pure functions."""
