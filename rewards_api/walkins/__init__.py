"""Walk-ins: presence tokens, sighting ingest, visits and walk-in points."""
