"""Reads for the notifications domain."""
