"""Writes for the offers domain."""
