"""HTTP routers of the province node: parse, call the application, map the result."""
