"""HTML pages of the auctions domain."""
