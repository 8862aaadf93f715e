"""A province node: registration, status changes and in-province business of one province."""
