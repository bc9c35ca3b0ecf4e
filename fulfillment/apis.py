"""JSON API endpoints of the fulfillment domain."""
