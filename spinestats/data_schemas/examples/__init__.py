"""Bundled synthetic example exports (not patient data)."""
