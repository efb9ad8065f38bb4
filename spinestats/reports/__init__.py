"""Figures, tables, the HTML report and the command line; no statistics here."""
