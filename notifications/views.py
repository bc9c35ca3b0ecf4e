"""HTML pages of the notifications domain."""
