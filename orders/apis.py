"""JSON API endpoints of the orders domain."""
