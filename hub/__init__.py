"""The ministry hub: the unified cross-province platform and the national identity index."""
