"""Reads for the offers domain."""
