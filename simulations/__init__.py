"""Nation generator, scenarios, fault injection and benchmarks."""
