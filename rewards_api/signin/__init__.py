"""Signing in on a new phone (e-mailed codes, passkeys) and the sign-in throttle."""
