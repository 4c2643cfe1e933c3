"""One Pulumi ComponentResource per Azure concern; none of them reads stack config."""
