"""The top floor: the `xueji` command and `xueji up` (docs/architecture.md "Layers").

It alone composes the services with `simulations` (demo data, stand-ins, benchmarks); no
service, kit or projection module imports it.
"""
