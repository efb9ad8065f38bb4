"""Numerical building blocks shared by the estimators (no I/O, no reporting).

:mod:`spinestats.analysis.core.newton` holds the one hardened Newton-Raphson
solver behind every logistic fit (calibration, risk validation, Firth and
plain maximum likelihood); :mod:`~spinestats.analysis.core.multiplicity` the
one Holm adjustment; :mod:`~spinestats.analysis.core.params` the checks of
the public API's options.
"""
