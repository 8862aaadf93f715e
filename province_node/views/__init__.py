"""The province node's own read models (QRY, AUD-3) on the generic machinery of `projections`."""
