"""Writes for the auctions domain."""
