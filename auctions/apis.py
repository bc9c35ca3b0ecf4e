"""JSON API endpoints of the auctions domain."""
