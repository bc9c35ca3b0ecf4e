"""HTML pages of the fulfillment domain."""
