"""HTML pages of the offers domain."""
