"""Writes for the fulfillment domain."""
