"""What vtrix keeps: settings and keys (config), and the task ledger with its numbered
migrations."""
