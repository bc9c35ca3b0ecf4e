"""JSON API endpoints of the vehicles domain."""
