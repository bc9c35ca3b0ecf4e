"""JSON API endpoints of the notifications domain."""
