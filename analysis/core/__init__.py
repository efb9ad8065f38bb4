"""Numerical building blocks shared by the estimators (no I/O, no reporting).

:mod:`spinestats.analysis.core.newton` holds the one hardened Newton-Raphson
solver behind every logistic fit (calibration, risk validation, Firth and
plain maximum likelihood).
"""
