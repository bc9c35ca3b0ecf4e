"""HTML pages of the vehicles domain."""
