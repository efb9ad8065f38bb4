"""Diagnostic accuracy: sensitivity/specificity, ROC, DeLong, cutoffs and their bootstrap, McNemar, STARD."""
