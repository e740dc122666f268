"""Chains and their stores."""
