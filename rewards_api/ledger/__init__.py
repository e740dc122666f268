"""Programs, accounts and the append-only points ledger with holds."""
