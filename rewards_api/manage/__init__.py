"""The back office on the web (``/manage``): its sections, the chain view and the
measured success of the program, read-only over visits, scans, the ledger, checkouts,
refusals and the agents' heartbeats."""
