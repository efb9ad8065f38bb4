"""spinestats: statistics for malignant spinal tumour research, checked against R.

``import spinestats as ss`` gives the estimators by their statistical names
(``ss.kaplan_meier``, ``ss.cox``, ``ss.roc``, ``ss.delong``, ...; see
``ss.__all__``).  Each takes a DataFrame and keyword column names and returns
a ``*Result``.  The names are loaded on first use (PEP 562), so ``import
spinestats`` itself stays cheap and imports neither pandas nor SciPy.

The computation lives in :mod:`spinestats.analysis`, the input contracts in
:mod:`spinestats.data_schemas` and everything a person sees (figures, tables,
report, command line) in :mod:`spinestats.reports`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: public name -> (module, attribute); every one lives in spinestats.api except
#: the sample-size namespace module
_PUBLIC: dict[str, tuple[str, str | None]] = {
    name: ("spinestats.api", name)
    for name in (
        "kaplan_meier", "logrank", "cox", "cox_zph",
        "cumulative_incidence", "gray_test", "fine_gray",
        "roc", "delong", "accuracy", "optimal_cutoff", "bootstrap_cutoff",
        "mixed_model", "paired_tests", "mice",
        "meta_reml", "reitsma",
        "cohen_kappa", "icc",
        "dss", "sins", "wbb",
        "load", "example",
    )
}
_PUBLIC["sample_size"] = ("spinestats.sample_size", None)

#: R-style spellings kept as documented aliases of the public names
ALIASES: dict[str, str] = {
    "survfit": "kaplan_meier",
    "survdiff": "logrank",
    "coxph": "cox",
    "cuminc": "cumulative_incidence",
    "crr": "fine_gray",
    "rma": "meta_reml",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    import importlib

    target = ALIASES.get(name, name)
    if target not in _PUBLIC:
        raise AttributeError(f"module 'spinestats' has no attribute {name!r}")
    module_name, attr = _PUBLIC[target]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(ALIASES))
