"""Azure's own verdict: Resource Manager validates the lab per region; its refusals explained and folded into the
quota decision."""
