"""Model specs: the normalised form both gateways' specs are turned into."""
