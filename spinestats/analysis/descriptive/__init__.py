"""Descriptive statistics: Table 1, proportion CIs, Fisher's exact test, adverse events."""
