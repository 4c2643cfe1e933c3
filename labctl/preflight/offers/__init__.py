"""What Azure offers the subscription: each region's models and quota (live or from a snapshot), the offer, the
resource providers and the gateway tiers."""
