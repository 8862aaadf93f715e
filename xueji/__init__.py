"""The runtime kit shared by the hub and the province nodes, and the `xueji` CLI.

Nothing here knows a business rule: bus, store, outbox, logs, traces, HTTP problems.
"""
