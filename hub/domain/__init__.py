"""The hub's aggregates and rules. Imports no framework (DESIGN §1)."""
