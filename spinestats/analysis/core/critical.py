"""Critical values of the standard normal distribution, in one place.

``z_critical(0.95)`` is the two-sided 95% quantile 1.959963984540054, the
value R prints for ``qnorm(0.975)`` and SciPy for ``norm.ppf(0.975)``
(both evaluate the same inverse normal, here ``scipy.special.ndtri``).
"""

from __future__ import annotations


def z_critical(conf_level: float = 0.95) -> float:
    """Two-sided standard-normal quantile for a ``conf_level`` interval, ``qnorm(1 - (1 - conf_level) / 2)``.

    Examples
    --------
    >>> round(z_critical(0.95), 12)
    1.959963984540
    """
    if not 0 < conf_level < 1:
        from spinestats.errors import UsageError

        raise UsageError(f"conf_level must be a number in (0, 1); got {conf_level!r}")
    from scipy.special import ndtri

    return float(ndtri(0.5 + conf_level / 2))
