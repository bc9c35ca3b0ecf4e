"""HTML pages of the orders domain."""
