"""The ``spinestats`` command line: one module per command."""
