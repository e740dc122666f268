"""Staff and device API keys with roles."""
