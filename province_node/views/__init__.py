"""The province node's own read models (views over its event log)."""
