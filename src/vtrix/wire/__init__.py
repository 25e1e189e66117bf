"""The gateways' wire formats: the gateway table (names, URLs, every route) and one adapter per
gateway, the only code that knows a wire format."""
