"""JSON API endpoints of the offers domain."""
