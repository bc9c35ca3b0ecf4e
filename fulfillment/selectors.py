"""Reads for the fulfillment domain."""
