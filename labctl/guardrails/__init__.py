"""labctl check: the lab's guardrails over a plan snapshot."""
