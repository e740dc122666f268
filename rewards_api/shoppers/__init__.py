"""Shoppers: registration, sign-in tokens, their own data (/v1/me)."""
