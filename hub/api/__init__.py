"""HTTP routers of the hub."""
