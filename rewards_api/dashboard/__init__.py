"""The store dashboard: a store's day and week in figures and charts, for managers."""
