"""The relays a deployment runs: each registers itself with its load and a heartbeat; viewers are placed on them."""
