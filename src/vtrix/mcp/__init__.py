"""``vtrix mcp``: an MCP server for agents on the same engine as the CLI and the SDK — generic
tools (find a model, read its spec, check, submit, wait, save) and, opt-in, one typed tool
per model; safe to let spend money. Needs the extra: ``pip install 'vtrix[mcp]'``."""
