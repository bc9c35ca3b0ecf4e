"""Reads for the auctions domain."""
