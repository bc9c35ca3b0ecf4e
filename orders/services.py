"""Writes for the orders domain."""
