"""Live updates: Server-Sent Events for the shopper app, the dashboard and the assist view."""
