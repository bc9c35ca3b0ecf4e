"""HTML pages of the accounts domain."""
