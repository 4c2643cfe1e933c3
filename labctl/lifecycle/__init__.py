"""labctl smoke, purge and down: the deployed lab's life after `pulumi up`."""
