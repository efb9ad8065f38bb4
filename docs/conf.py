"""Sphinx configuration of the spinestats API reference (built by .ci/lint docs)."""

project = "spinestats"
author = "spinestats contributors"
copyright = "spinestats contributors"  # noqa: A001

extensions = ["sphinx.ext.autodoc", "numpydoc"]
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autodoc_typehints = "none"
autodoc_default_options = {"members": False}
html_theme = "alabaster"
exclude_patterns = ["_build"]
nitpicky = False
