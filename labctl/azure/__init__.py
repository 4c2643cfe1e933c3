"""Azure clients: sign-in, transport, deadlines."""
