"""Reads for the vehicles domain."""
