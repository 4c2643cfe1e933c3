"""labctl plan: the real program under Pulumi's mock runtime, its snapshot and its tree."""
