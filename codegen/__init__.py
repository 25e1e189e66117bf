"""Build-time tools: fetch specs from the gateways, generate typed code, check freshness."""
