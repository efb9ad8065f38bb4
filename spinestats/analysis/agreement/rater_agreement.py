"""Agreement of a cases x raters table of one rating: every kappa, Fleiss' kappa and the six ICCs together.

The summary a reader study reports for one rating (the DSS, a feature, a
size), from the estimators of this package:

* Cohen's kappa of the first two raters (:func:`.kappa.cohen_kappa`), and
  with more than two raters every pair and Light's mean of the pairs
  (:func:`.kappa.pairwise_kappa`); for ordinal ratings the same with linear
  and quadratic weights; all on one category scale, the sorted union of the
  values used;
* Fleiss' kappa of all raters (:func:`.fleiss_kappa.fleiss_kappa`), its SE
  under kappa = 0 (for the z test, as irr);
* for numeric ratings the six Shrout-Fleiss ICCs (:func:`.icc.icc`).

Only complete cases (rated by every rater) enter; the others are counted
(``excluded``) and named in a warning.  A measurement (``kappas=False``,
e.g. a size in centimetres) gets the ICCs only: the kappa of centimetres is
meaningless.  Each number equals its estimator's (tested against psych and
irr in ``tests/test_agreement*.py``); :meth:`RaterAgreementResult.to_dict`
is the ``results.json`` entry of ``spinestats agreement``.

References
----------
Cohen J. Weighted kappa. Psychol Bull 1968;70:213-220. doi:10.1037/h0026256
Light RJ. Measures of response agreement for qualitative data. Psychol Bull
1971;76:365-377. doi:10.1037/h0031643
Shrout PE, Fleiss JL. Intraclass correlations. Psychol Bull 1979;86:420-428.
doi:10.1037/0033-2909.86.2.420
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from spinestats.analysis.agreement.fleiss_kappa import fleiss_kappa
from spinestats.analysis.agreement.icc import icc
from spinestats.analysis.agreement.kappa import KappaResult, pairwise_kappa
from spinestats.analysis.agreement.ratings import as_codes
from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.errors import DataError

#: what the SE of Fleiss' kappa is for (it is not the basis of a CI)
FLEISS_SE_NOTE = "SE under kappa = 0 (for the z test), as irr"
WEIGHTS = ("linear", "quadratic")


def _published(result: Result) -> dict[str, Any]:
    """The fields of ``result`` as :meth:`Result.to_dict` gives them, without the unpublished ones
    (``metadata={"publish": False}``) and without the optional ones left at ``None``
    (``metadata={"omit_if_none": True}``)."""
    keys = result._published_keys
    out = {}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if not f.metadata.get("publish", True) or (value is None and f.metadata.get("omit_if_none")):
            continue
        out[keys.get(f.name, f.name)] = to_jsonable(value)
    return out


@dataclasses.dataclass(frozen=True)
class PairKappaResult(Result):
    """Cohen's kappa of one pair of raters, with its large-sample CI."""

    rater1: str
    rater2: str
    estimate: float
    se: float
    lower: float
    upper: float
    n: int

    @classmethod
    def of(cls, rater1: Any, rater2: Any, k: KappaResult) -> "PairKappaResult":
        """The pair's entry from its :class:`~.kappa.KappaResult`."""
        return cls(str(rater1), str(rater2), k.estimate, k.se, k.lower, k.upper, k.n)


@dataclasses.dataclass(frozen=True)
class KappaSummaryResult(PairKappaResult):
    """Kappa of the first two raters; with more raters also every pair and Light's mean (``light``)."""

    weights: str = dataclasses.field(default="none", metadata={"publish": False})
    pairwise: tuple[PairKappaResult, ...] | None = dataclasses.field(default=None, metadata={"omit_if_none": True})
    light: float | None = dataclasses.field(default=None, metadata={"omit_if_none": True})

    def to_dict(self) -> dict[str, Any]:
        """The published entry (``pairwise`` and ``light`` only with more than two raters)."""
        return _published(self)


@dataclasses.dataclass(frozen=True)
class FleissSummaryResult(Result):
    """Fleiss' kappa of all raters with its SE under kappa = 0, z and two-sided p."""

    _published_keys = {"p": "p_value"}  # results.json keeps its key

    estimate: float
    se: float
    z: float
    p: float
    n_raters: int
    se_note: str = FLEISS_SE_NOTE


@dataclasses.dataclass(frozen=True)
class RaterAgreementResult(Result):
    """Every agreement statistic of one rating (see the module docstring).

    ``weighted_kappa`` is ``None`` for nominal ratings and ``icc`` for
    non-numeric ones; a measurement (``measurement=True``) publishes no kappa
    at all.  ``warnings`` are returned to the caller, not published in the entry.
    """

    measure: str
    n_cases: int
    raters: tuple[str, ...]
    excluded: dict
    kappa: KappaSummaryResult | None
    weighted_kappa: dict | None
    fleiss_kappa: FleissSummaryResult | None
    icc: tuple[dict, ...] | None
    conf_level: float = dataclasses.field(default=0.95, metadata={"publish": False})
    measurement: bool = dataclasses.field(default=False, metadata={"publish": False})
    warnings: tuple[str, ...] = dataclasses.field(default=(), metadata={"publish": False})

    def to_dict(self) -> dict[str, Any]:
        """The ``results.json`` entry of the rating (a measurement without the kappa keys)."""
        out = _published(self)
        if self.measurement:
            for name in ("kappa", "weighted_kappa", "fleiss_kappa"):
                out.pop(name)
        return out


def _kappas(complete: pd.DataFrame, weights: str, levels: list, conf_level: float,
            measure: str) -> tuple[KappaSummaryResult, list[str], list[str]]:
    """The summary of one weighting, with the first pair's warnings and the other pairs' apart."""
    pk = pairwise_kappa(complete, weights=weights, levels=levels, conf_level=conf_level)
    notes = [[f"{measure} ({a} vs {b}, {weights}): {x}" for x in k.warnings] for a, b, k in pk.pairs]
    a, b, k = pk.pairs[0]
    more = len(pk.pairs) > 1
    summary = KappaSummaryResult(
        a, b, k.estimate, k.se, k.lower, k.upper, k.n, weights=weights,
        pairwise=tuple(PairKappaResult.of(x, y, kk) for x, y, kk in pk.pairs) if more else None,
        light=pk.light if more else None)
    return summary, notes[0], [w for rest in notes[1:] for w in rest]


def rater_agreement(wide: pd.DataFrame, *, measure: str = "rating", conf_level: float = 0.95,
                    ordinal: bool = True, numeric: bool = True, kappas: bool = True,
                    level: float | None = None) -> RaterAgreementResult:
    """Kappa (pairs, Light), weighted kappa, Fleiss' kappa and the ICCs of a cases x raters table.

    Parameters
    ----------
    wide : one row per case, one column per rater (:mod:`.ratings` builds it
        from either layout); incomplete cases are left out and counted.
    measure : the rating's name (in the warnings and the result).
    conf_level : confidence level of the kappa and ICC intervals.  ``level=`` is an alias.
    ordinal : also the linearly and quadratically weighted kappas.
    numeric : also the six ICCs (the ratings must be numbers).
    kappas : ``False`` for a measurement: the ICCs only.

    Examples
    --------
    >>> w = pd.DataFrame({"R1": [1, 2, 3, 1, 2, 3], "R2": [1, 2, 3, 2, 2, 3]})
    >>> r = rater_agreement(w, measure="dss")
    >>> round(r.kappa.estimate, 3), r.to_dict()["n_cases"]
    (0.75, 6)
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    raters = tuple(str(c) for c in wide.columns)
    if len(raters) < 2:
        raise DataError(f"agreement needs at least 2 raters; found {list(raters)}.")
    wide = wide.apply(as_codes)
    complete = wide.dropna()
    dropped = len(wide) - len(complete)
    warnings: list[str] = []
    if dropped:
        warnings.append(f"{measure}: {dropped} case(s) not rated by every rater were left out (complete cases).")
    if len(complete) < 2:
        raise DataError(f"{measure}: fewer than 2 cases rated by every rater.")
    levels = sorted(set(complete.to_numpy(dtype=object).ravel().tolist()), key=lambda v: (str(type(v)), v))
    kappa = weighted = fleiss = None
    if kappas:
        runs = {w: _kappas(complete, w, levels, conf_level, measure)
                for w in ("none", *(WEIGHTS if ordinal else ()))}
        # the warnings in the published order: the first pair of each weighting, then the other pairs
        warnings += runs["none"][1] + runs["none"][2]
        warnings += [x for w in WEIGHTS if w in runs for x in runs[w][1]]
        warnings += [x for w in WEIGHTS if w in runs for x in runs[w][2]]
        kappa = runs["none"][0]
        weighted = {w: runs[w][0] for w in WEIGHTS} if ordinal else None
        fk = fleiss_kappa(complete.to_numpy(dtype=object))
        fleiss = FleissSummaryResult(fk.estimate, fk.se, fk.z, fk.p, fk.n_raters)
    entries = None
    if numeric:
        ic = icc(complete.to_numpy(dtype=float), conf_level=conf_level)
        entries = tuple(ic.entries)
        warnings += [f"{measure}: {x}" for x in ic.warnings]
    return RaterAgreementResult(measure=measure, n_cases=int(len(complete)), raters=raters,
                                excluded={"incomplete_cases": int(dropped)}, kappa=kappa, weighted_kappa=weighted,
                                fleiss_kappa=fleiss, icc=entries, conf_level=conf_level,
                                measurement=not kappas, warnings=tuple(warnings))
