"""Web pages served by the API: the shopper app, the store dashboard, the staff assist view."""
