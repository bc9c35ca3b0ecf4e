"""Reads for the orders domain."""
