"""Benchmarks: each measures the raw limit in the same run and reports our figure as a ratio."""
