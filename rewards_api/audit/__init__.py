"""The back office's audit trail: who changed what, when, from what to what."""
