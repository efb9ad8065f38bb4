"""Shared pieces of the statistics layer (parameter checks, ...)."""
