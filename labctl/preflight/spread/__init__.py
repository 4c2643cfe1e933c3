"""When no single region holds the lab: spread it over several, counting pooled quota once."""
