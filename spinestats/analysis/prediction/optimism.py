"""Harrell's bootstrap optimism correction of apparent performance measures.

For a model-building procedure ``fit`` and performance measures ``m``
(C-index, AUC, Brier score, calibration slope, ...):

1. fit on the data ``D`` and compute the apparent performance ``m(fit(D), D)``;
2. for ``b = 1..B``: draw a bootstrap sample ``D_b`` (``n`` rows with
   replacement), refit, and compute the optimism
   ``o_b = m(fit(D_b), D_b) - m(fit(D_b), D)``;
3. optimism ``O = mean(o_b)``; corrected performance = apparent - ``O``.

Every step of the model building (variable coding, selection if any) must be
inside ``fit`` to be corrected for.  Replicate ``b`` draws from the child
stream ``b`` of ``SeedSequence(seed)``
(:func:`spinestats.analysis.core.resampling.replicate_seeds`), so results are the
same for any ``workers``/``scheduler``.  A replicate whose fit or measure
fails (e.g. no event in the bootstrap sample) is left out of that measure's
mean, counted in ``failed`` and reported in ``warnings``.

References
----------
Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med
1996;15:361-87. doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4
Steyerberg EW, Harrell FE, Borsboom GJ, et al. Internal validation of
predictive models. J Clin Epidemiol 2001;54:774-81. doi:10.1016/S0895-4356(01)00341-9
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.resampling import map_replicates, replicate_seeds
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError

Fit = Callable[[pd.DataFrame], Any]
Measure = Callable[[Any, pd.DataFrame], float]


@dataclasses.dataclass(frozen=True)
class MeasureOptimismResult(Result):
    """One measure's apparent, optimism and corrected values."""

    apparent: float
    optimism: float
    corrected: float
    replicates: int
    failed: int


#: the former name, kept as an alias
MeasureOptimism = MeasureOptimismResult


@dataclasses.dataclass(frozen=True)
class OptimismResult(Result):
    """Optimism-corrected performance.

    Attributes
    ----------
    measures : per measure name, a :class:`MeasureOptimism`.
    B, seed : bootstrap replicates and seed.
    per_replicate : (B x measures) optimism ``o_b`` (NaN where failed).
    warnings : failed replicates, if any.
    """

    measures: dict[str, MeasureOptimism]
    B: int
    seed: int
    per_replicate: pd.DataFrame = dataclasses.field(repr=False)
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "measures": {k: v.to_dict() for k, v in self.measures.items()},
            "B": self.B,
            "seed": self.seed,
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"measure": k, **v.to_dict()} for k, v in self.measures.items()])


def _safe(measure: Measure, model: Any, data: pd.DataFrame) -> float:
    try:
        v = float(measure(model, data))
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        return float("nan")
    return v


def _replicate_chunk(item, data: pd.DataFrame, fit: Fit, measures: Mapping[str, Measure]) -> list[list[float]]:
    seqs = item
    n = len(data)
    out = []
    for ss in seqs:
        rng = np.random.default_rng(ss)
        idx = rng.integers(0, n, n)
        boot = data.iloc[idx].reset_index(drop=True)  # unique labels for the fit
        try:
            model = fit(boot)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            out.append([float("nan")] * len(measures))
            continue
        out.append([_safe(m, model, boot) - _safe(m, model, data) for m in measures.values()])
    return out


def bootstrap_indices(seed: int, n: int, B: int) -> list[np.ndarray]:
    """The row indices of each bootstrap sample, exactly as :func:`optimism_correction` draws them."""
    return [np.random.default_rng(ss).integers(0, n, n) for ss in replicate_seeds(seed, B)]


def optimism_correction(
    data: pd.DataFrame,
    fit: Fit,
    measures: Mapping[str, Measure],
    *,
    B: int = 200,
    seed: int = 20240601,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int = 25,
) -> OptimismResult:
    """Harrell's bootstrap optimism correction (see module docstring).

    Parameters
    ----------
    data : the development data (one row per patient).
    fit : ``fit(frame) -> model``; the whole model-building procedure.
    measures : ``{name: measure(model, frame) -> float}``.
    B : bootstrap replicates (>= 1; 200 or more recommended).
    seed : seed of the replicate streams.
    workers, scheduler : passed to :func:`~spinestats.analysis.core.resampling.map_replicates`
        (``fit`` and ``measures`` must then be picklable module-level functions);
        the data are sent to the workers once, not with every chunk.
    chunk_size : replicates per work item (``batch_size``; never changes results).
    """
    if B < 1:
        raise DataError(f"bootstrap replicates B must be >= 1; got {B}")
    names = list(measures)
    model = fit(data)
    apparent = {k: _safe(m, model, data) for k, m in measures.items()}
    # Replicate b uses child b of SeedSequence(seed), as bootstrap_indices.
    rows = map_replicates(
        _replicate_chunk,
        seed,
        B,
        args=(data, fit, measures),
        workers=workers,
        scheduler=scheduler,
        batch_size=chunk_size,
    )
    per = pd.DataFrame(rows, columns=names, dtype=float)
    out, warnings = {}, []
    for k in names:
        col = per[k].to_numpy()
        ok = np.isfinite(col)
        opt = float(col[ok].mean()) if ok.any() else float("nan")
        failed = int((~ok).sum())
        if failed:
            warnings.append(f"optimism of {k}: {failed} of {B} bootstrap replicates failed (no events or no fit) and were left out.")
        out[k] = MeasureOptimismResult(
            apparent=apparent[k], optimism=opt, corrected=apparent[k] - opt, replicates=int(ok.sum()), failed=failed
        )
    return OptimismResult(measures=out, B=int(B), seed=int(seed), per_replicate=per, warnings=tuple(warnings))
