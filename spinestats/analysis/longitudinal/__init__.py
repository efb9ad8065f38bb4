"""Repeated measures: mixed models, paired tests, multiple imputation, responders, ANCOVA."""
