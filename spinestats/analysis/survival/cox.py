"""Cox proportional-hazards regression, as R ``coxph``.

Partial likelihood with Efron's (default) or Breslow's handling of tied
event times.  At a distinct event time with :math:`d` tied events
:math:`D`, risk set :math:`R`, :math:`r_i = e^{x_i^\\top\\beta}`,
:math:`S_0 = \\sum_R r_i` and :math:`S_0^D = \\sum_D r_i`, Efron's term is

.. math::

    \\sum_{i\\in D} x_i^\\top\\beta - \\sum_{k=0}^{d-1}
        \\log\\Big(S_0 - \\frac{k}{d} S_0^D\\Big)

(Breslow: the fractions :math:`k/d` are 0).  Each tied event therefore
becomes one "event row" with fraction :math:`k/d`; the risk-set sums
:math:`S_0, S_1` are reverse cumulative sums after one sort, and the
information :math:`\\sum_e [S_2/\\mathrm{den}_e - \\bar x_e \\bar x_e^\\top]`
is assembled as :math:`X^\\top \\mathrm{diag}(r_i c_i) X - \\ldots` with
:math:`c_i` a cumulative sum of :math:`1/\\mathrm{den}_e`, so one
Newton-Raphson step costs :math:`O(n p^2)` (no :math:`n\\times p\\times p`
array).  Strata have separate risk sets.

Iteration as ``coxph``: start at 0, Newton-Raphson with step halving when
the log-likelihood falls, stop when the relative change of the
log-likelihood is below ``eps`` (1e-9, as ``coxph.control``).

Tests: likelihood ratio :math:`2(\\ell(\\hat\\beta)-\\ell(0))`, Wald
:math:`\\hat\\beta^\\top V^{-1}\\hat\\beta`, score :math:`U(0)^\\top I(0)^{-1} U(0)`.
Robust (sandwich) variance :math:`D^\\top D` with :math:`D` the dfbeta
residuals (score residuals times :math:`I^{-1}`), summed within ``cluster``
as ``coxph(..., cluster = id)``; with a cluster the p-values and CIs use the
robust SE, as R does.

Concordance as ``coxph`` reports it (``concordance(fit)``): pairs are
comparable when the shorter time is an event (a censoring tied with an event
counts as later; tied events are not comparable); ties in the linear
predictor count 1/2; within strata.  Counted in :math:`O(n \\log n)` by
:func:`spinestats.analysis.prediction.concordance.harrell_concordance` (the one home of Harrell's C).

References
----------
Cox DR (1972). J R Stat Soc B 34:187-220. doi:10.1111/j.2517-6161.1972.tb00899.x
Efron B (1977). J Am Stat Assoc 72:557-565. doi:10.1080/01621459.1977.10480613
Lin DY, Wei LJ (1989). J Am Stat Assoc 84:1074-1078. doi:10.1080/01621459.1989.10478874
Harrell FE et al. (1982). JAMA 247:2543-2546. doi:10.1001/jama.1982.03320430047030
"""

from __future__ import annotations

from typing import Any

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.analysis.core.surv_input import as_frame, check_constant, design_matrix, event_data
from spinestats.analysis.prediction.concordance import harrell_concordance  # noqa: F401 (one home; old import path)
from spinestats.analysis.core.radix_order import float_keys, lex_order, stable_order
from spinestats.errors import DataError, UsageError


@dataclasses.dataclass(frozen=True)
class CoxModelResult(Result):
    """A fitted Cox model (see :func:`cox_ph`).

    ``coef``, ``se`` (model-based), ``robust_se`` (when ``cluster`` or
    ``robust``), ``z``, ``p``, ``hr``, ``hr_lower``, ``hr_upper`` are aligned
    with ``terms``.  ``tests`` holds the likelihood-ratio, Wald and score
    tests (``statistic``, ``df``, ``p``).  ``baseline`` is the Breslow-type
    baseline cumulative hazard at the covariate values 0 (``time``,
    ``cumhaz``, ``stratum``), as ``basehaz(fit, centered = FALSE)``.
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    robust_se: np.ndarray | None
    z: np.ndarray
    p: np.ndarray
    hr: np.ndarray
    hr_lower: np.ndarray
    hr_upper: np.ndarray
    var: np.ndarray
    loglik: float
    loglik_null: float
    tests: dict
    concordance: float
    n: int
    n_event: int
    ties: str
    conf_level: float
    converged: bool
    iterations: int
    separated: tuple[str, ...]
    baseline: pd.DataFrame
    excluded: tuple
    warnings: tuple[str, ...]

    def plot(self, *, term_labels: Any = None) -> Any:
        """Forest plot of the hazard ratios with their CIs (log axis), as the reports draw it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_ratios  # presentation hook, loaded on use

        return plot_ratios(self, kind="cox", term_labels=term_labels)

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame({"term": self.terms, "coef": self.coef, "se": self.se})
        if self.robust_se is not None:
            out["robust_se"] = self.robust_se
        out = out.assign(z=self.z, p=self.p, hr=self.hr, hr_lower=self.hr_lower, hr_upper=self.hr_upper)
        return out


#: the former name, kept as an alias
CoxModel = CoxModelResult


#: the last order :func:`time_order` computed, with its times and strata (the fits of one endpoint share them)
_LAST_ORDER: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def time_order(time: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """The rows by stratum, then time, tied times in row order: the permutation of
    ``np.lexsort((time, strata))`` (of ``np.argsort(time, kind="stable")`` with one stratum).

    Times without NaN are sorted by radix passes over their bits (order-preserving unsigned keys,
    :func:`~spinestats.analysis.core.radix_order.float_keys` and ``lex_order``), the strata
    codes then by a stable pass.  The fits of one endpoint (the model, its PH test, the univariable models) sort the
    same times: the last order is kept (read-only) with its times and strata and given back when both
    are equal again.
    """
    global _LAST_ORDER
    time = np.asarray(time)
    strata = np.asarray(strata)
    last = _LAST_ORDER
    if (last is not None and last[0].shape == time.shape and last[1].shape == strata.shape
            and np.array_equal(last[0], time) and np.array_equal(last[1], strata)):
        return last[2]
    one = strata.size == 0 or strata.min() == strata.max()
    keys = float_keys(time) if time.size else None
    if keys is not None and (one or (strata.dtype.kind in "iu" and strata.min() >= 0)):
        order = stable_order(keys) if one else lex_order((keys, strata))
    else:
        order = np.argsort(time, kind="stable") if one else np.lexsort((time, strata))
    order.flags.writeable = False
    _LAST_ORDER = (time.copy(), strata.copy(), order)
    return order


class _Cox:
    """Sorted data, event rows and the linear-time Efron/Breslow sums."""

    def __init__(self, time, event, X, strata, ties):
        order = time_order(time, strata)
        self.order = order
        self.t, self.e, self.X, self.s = time[order], event[order], X[order], strata[order]
        self.n, self.p = self.X.shape
        self.XT = np.ascontiguousarray(self.X.T)
        # stratum ends: index one past the last row of each row's stratum
        # (the strata are sorted: each stratum is one run, as np.unique's first indices and counts)
        sfirst = np.flatnonzero(np.concatenate(([True], self.s[1:] != self.s[:-1])))
        scount = np.diff(np.append(sfirst, self.s.size))
        send = sfirst + scount
        self.row_end = np.repeat(send, scount)
        # distinct (stratum, time) blocks
        key_change = np.concatenate(([True], (self.t[1:] != self.t[:-1]) | (self.s[1:] != self.s[:-1])))
        self.block = np.cumsum(key_change) - 1
        # block index of the first row of each row's stratum
        self.stratum_first_block = self.block[np.repeat(sfirst, scount)]
        bstart = np.flatnonzero(key_change)
        self.bstart = bstart
        # event rows: one per event, with its fraction k/d within its tied set
        ev_idx = np.flatnonzero(self.e)
        self.ev_idx = ev_idx
        eb = self.block[ev_idx]
        d_of_block = np.bincount(eb, minlength=bstart.size)
        k = np.arange(ev_idx.size) - np.searchsorted(eb, eb, side="left")
        d = d_of_block[eb]
        self.frac = k / d if ties == "efron" else np.zeros(ev_idx.size)
        self.ev_block = eb
        self.ev_start = bstart[eb]  # first row of the event's time block
        self.ev_end = self.row_end[ev_idx]
        self.d_block = d_of_block
        # sum of the covariates over event rows (as X[ev_idx].sum(axis=0), once, not per Newton step)
        self.x_event_sum = self.X[ev_idx].sum(axis=0)

    @staticmethod
    def _prefix(a: np.ndarray) -> np.ndarray:
        """Forward cumulative sums with a leading zero row: rows [i, j) sum to P[j] - P[i]."""
        out = np.empty((a.shape[0] + 1,) + a.shape[1:])
        out[0] = 0
        np.cumsum(a, axis=0, out=out[1:])
        return out

    def _by_block(self, v: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Sum ``v`` (rows = event rows) by time block (bincount, column by column)."""
        blocks = self.ev_block if idx is None else idx
        nb = self.bstart.size
        if v.ndim == 1:
            return np.bincount(blocks, weights=v, minlength=nb)
        return np.column_stack([np.bincount(blocks, weights=v[:, j], minlength=nb) for j in range(v.shape[1])]) \
            if v.shape[1] else np.zeros((nb, 0))

    def _block_rows(self, vT: np.ndarray) -> np.ndarray:
        """Sum each row of ``vT`` (p x event rows, C order) by time block: (p x blocks), the numbers of
        :meth:`_by_block` of ``vT.T`` (the same bincount over the same values in the same order)."""
        nb = self.bstart.size
        out = np.empty((vT.shape[0], nb))
        for j in range(vT.shape[0]):
            out[j] = np.bincount(self.ev_block, weights=vT[j], minlength=nb)
        return out

    def _loglik(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Log-likelihood at ``b``, with ``exp(X b)`` (all rows, event rows) and the event rows' ``den``
        (the risk-set sum less the Efron share of the tied events), as :meth:`fit_terms` uses them."""
        eta = self.X @ b
        r = np.exp(eta)
        P0 = self._prefix(r)
        s0 = P0[self.ev_end] - P0[self.ev_start]  # risk-set sums (block start to stratum end)
        r_ev = r[self.ev_idx]
        er = self._by_block(r_ev)  # tied-event sums of each event's block
        den = s0 - self.frac * er[self.ev_block]
        return float(eta[self.ev_idx].sum() - np.log(den).sum()), r, r_ev, den

    def loglik(self, b: np.ndarray) -> float:
        """The log-likelihood at ``b`` alone (a step-halving trial), the number :meth:`fit_terms` gives."""
        return self._loglik(b)[0]

    def fit_terms(self, b: np.ndarray, need_info: bool = True):
        """Log-likelihood, score and information at ``b`` (and the event rows' ``den`` and ``xbar``).

        The per-term arrays are handled as rows (p x events, contiguous), gathered with ``take``; every
        sum keeps its order (cumulative sums along the rows, ``bincount`` by block, the column sums of
        the C-order ``xbar``), so the numbers are those of the column-wise formulas in the module docstring.
        """
        ll, r, r_ev, den = self._loglik(b)
        rxT = self.XT * r  # (p, n), rows contiguous: fast cumulative sums
        P1 = np.zeros((self.p, self.n + 1))
        np.cumsum(rxT, axis=1, out=P1[:, 1:])
        # risk-set sums at each event row (rows from the block start to the stratum end)
        s1T = np.take(P1, self.ev_end, axis=1) - np.take(P1, self.ev_start, axis=1)
        # tied-event sums of each event's block
        erxT = self._block_rows(np.take(rxT, self.ev_idx, axis=1))
        numT = s1T - self.frac * np.take(erxT, self.ev_block, axis=1)
        xbarT = numT / den
        xbar = np.ascontiguousarray(xbarT.T)  # (events, p), C order as the formulas' xbar
        U = self.x_event_sum - xbar.sum(axis=0)  # on the C-order xbar: numpy's own summation order
        if not need_info:
            return ll, U, None, den, xbar
        # c_i = sum of 1/den over event rows whose risk set holds i, minus the Efron downweight for tied events
        inv = 1.0 / den
        c = self._cum_over_events(inv)
        w = r * c
        ftie = self._by_block(self.frac * inv)
        w[self.ev_idx] -= r_ev * ftie[self.ev_block]
        info = (self.X * w[:, None]).T @ self.X - xbar.T @ xbar
        return ll, U, info, den, xbar

    def _cum_over_events(self, v: np.ndarray) -> np.ndarray:
        """For each row i: sum of ``v`` over event rows at times <= t_i in i's stratum."""
        cb = np.cumsum(self._by_block(v))
        # subtract what accumulated in earlier strata
        before = np.concatenate(([0.0], cb))[self.stratum_first_block]
        return cb[self.block] - before

    def score_residuals(self, b: np.ndarray, terms: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Score residuals (``residuals(fit, "score")``), in sorted order.

        ``terms``: ``(den, xbar)`` that :meth:`fit_terms` returned at this ``b``, not computed again.
        """
        eta = self.X @ b
        r = np.exp(eta)
        den, xbar = self.fit_terms(b, need_info=False)[3:] if terms is None else terms
        h = 1.0 / den
        A = self._cum_over_events(h)
        B = np.column_stack([self._cum_over_events(h * xbar[:, j]) for j in range(self.p)]) if self.p else np.zeros((self.n, 0))
        res = -r[:, None] * (self.X * A[:, None] - B)
        # tied events: their own time's rows have weight (1 - frac), plus the dN part x - mean xbar
        fa = self._by_block(self.frac * h)
        fb = self._by_block((self.frac * h)[:, None] * xbar)
        mx = self._by_block(xbar) / np.maximum(self.d_block, 1)[:, None]
        eb = self.block[self.ev_idx]
        Xe = self.X[self.ev_idx]
        res[self.ev_idx] += r[self.ev_idx][:, None] * (Xe * fa[eb][:, None] - fb[eb])
        res[self.ev_idx] += Xe - mx[eb]
        return res


def prepare(data: pd.DataFrame, *, time: str, event: str, covariates: Sequence[str], strata: str | None = None,
            cluster: str | None = None, censor: int = 0, cause: int | None = None):
    """Checked arrays of a Cox model: (event data, event flags, X, term names, row positions, stratum codes)."""
    extra = tuple(covariates) + tuple(c for c in (strata, cluster) if c)
    ed = event_data(data, time=time, event=event, censor=censor, extra=extra)
    data = as_frame(data)  # an EventData passed in: its source table
    ev = ed.event if cause is None else ed.status == cause
    X_all, names = design_matrix(data, covariates)
    pos = ed.positions
    X = X_all[pos]
    check_constant(X, names)
    if not ev.any():
        raise DataError("no events: a Cox model needs at least one event.")
    sv = data[strata].to_numpy()[pos] if strata else np.zeros(ed.time.size)
    s_codes = pd.factorize(sv, sort=True)[0] if strata else np.zeros(ed.time.size, int)
    return ed, ev, X, names, pos, s_codes


def cox_ph(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: str = "efron",
    strata: str | None = None,
    cluster: str | None = None,
    robust: bool = False,
    censor: int = 0,
    cause: int | None = None,
    conf_level: float = 0.95,
    eps: float = 1e-9,
    max_iter: int = 30,
    concordance: bool = True,
) -> CoxModelResult:
    """Fit a Cox model, as ``coxph(Surv(time, event) ~ covariates + strata(s), ties=, cluster=)``.

    Parameters
    ----------
    data : one row per subject.
    time, event : follow-up time and event columns.  With ``cause`` given,
        only that code is an event and others are censored: the
        cause-specific Cox model for competing risks.
    covariates : model columns (numeric, boolean, or categorical with
        treatment contrasts against the first sorted level, as R).
    ties : ``"efron"`` (default, as R) or ``"breslow"``.
    strata : optional column; a separate baseline hazard per stratum.
    cluster : optional column (e.g. centre); robust sandwich SE summed within
        clusters, used for p-values and CIs (as R).
    robust : robust SE without clusters (each row its own cluster).
    concordance : compute Harrell's C (as coxph's ``concordance``); ``False`` leaves it NaN for a fit
        whose C is not reported (a univariable model of a table, the refit of the PH test), which
        saves an O(n log n) pass and changes no other number.

    Returns
    -------
    CoxModel

    Notes
    -----
    A constant covariate raises :class:`DataError`.  A covariate that
    perfectly separates events (monotone likelihood) makes its coefficient
    drift to infinity; like R we stop when the log-likelihood stops
    changing, name the term in ``separated`` and warn that its HR is not
    interpretable.
    """
    if ties not in ("efron", "breslow"):
        raise UsageError(f"ties: expected 'efron' or 'breslow', got {ties!r}.")
    ed, ev, X, names, pos, s_codes = prepare(data, time=time, event=event, covariates=covariates, strata=strata,
                                             cluster=cluster, censor=censor, cause=cause)
    warnings = list(ed.warnings)
    cx = _Cox(ed.time, ev, X, s_codes, ties)
    b = np.zeros(X.shape[1])
    ll0, U0, I0, den, xbar = cx.fit_terms(b)
    terms0 = (den, xbar)  # at b = 0, for the robust score test
    ll, U, info = ll0, U0, I0  # den, xbar: the event rows' sums at b, kept for the baseline and residuals
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(info, U)
        except np.linalg.LinAlgError:
            warnings.append("the information matrix is singular (collinear covariates).")
            break
        bn = b + step
        lln, Un, In, denn, xbarn = cx.fit_terms(bn)
        halves = 0
        while (not np.isfinite(lln) or lln < ll) and halves < 30:
            step = step / 2
            bn = b + step
            lln = cx.loglik(bn)  # a trial needs only the log-likelihood
            halves += 1
        if halves:
            lln, Un, In, denn, xbarn = cx.fit_terms(bn)
        done = abs(1 - ll / lln) <= eps if lln != 0 else True
        b, ll, U, info, den, xbar = bn, lln, Un, In, denn, xbarn
        if done:
            converged = True
            break
    var = np.linalg.pinv(info)
    se = np.sqrt(np.diag(var))
    # R's rule (coxph.fit): a one-step change |U' V| still large relative to the coefficient after the
    # log-likelihood converged means the coefficient is drifting to infinity (monotone likelihood).
    step_left = np.abs(U @ var)
    toler_inf = np.sqrt(eps)
    separated = tuple(n for j, n in enumerate(names) if step_left[j] > eps and step_left[j] > toler_inf * abs(b[j]))
    for n in separated:
        warnings.append(
            f"the coefficient of '{n}' is drifting to infinity: it (nearly) perfectly separates the events "
            "(monotone likelihood, R warns 'coefficient may be infinite'); its HR and CI are not interpretable. "
            "Consider Firth's penalised Cox model or removing the term."
        )
    if not converged:
        warnings.append(f"the Cox fit did not converge in {max_iter} iterations.")
    robust_se = None
    robust_score = None
    use_var = var
    if cluster or robust:
        res = cx.score_residuals(b, (den, xbar))
        dfb = res @ var
        codes = _cluster_codes(data, cluster, pos, cx.order)
        if codes is not None:
            dfb = _cluster_sums(codes, dfb)
        use_var = dfb.T @ dfb
        robust_se = np.sqrt(np.diag(use_var))
        robust_score = _robust_score_test(cx, codes, terms0)
    used_se = robust_se if robust_se is not None else se
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b / used_se
    pval = 2 * stats.norm.sf(np.abs(z))
    k = len(names)
    lr = 2 * (ll - ll0)
    try:
        wald = float(b @ np.linalg.solve(use_var, b))
    except np.linalg.LinAlgError:
        wald = float("nan")
    score = float(U0 @ np.linalg.solve(I0, U0)) if np.linalg.matrix_rank(I0) == k else float("nan")
    tests = {
        "likelihood_ratio": {"statistic": lr, "df": k, "p": float(stats.chi2.sf(lr, k))},
        "wald": {"statistic": wald, "df": k, "p": float(stats.chi2.sf(wald, k)), "robust": robust_se is not None},
        "score": {"statistic": score, "df": k, "p": float(stats.chi2.sf(score, k))},
    }
    if robust_score is not None:
        tests["robust_score"] = robust_score
    lp = X @ b
    conc = harrell_concordance(ed.time, ev, lp, s_codes)[0] if concordance else float("nan")
    baseline = _baseline(cx, den)
    return CoxModelResult(
        terms=tuple(names),
        coef=b,
        se=se,
        robust_se=robust_se,
        z=z,
        p=pval,
        hr=np.exp(b),
        hr_lower=_exp(b - zq * used_se),
        hr_upper=_exp(b + zq * used_se),
        var=use_var,
        loglik=ll,
        loglik_null=ll0,
        tests=tests,
        concordance=conc,
        n=int(ed.time.size),
        n_event=int(ev.sum()),
        ties=ties,
        conf_level=float(conf_level),
        converged=converged,
        iterations=it,
        separated=separated,
        baseline=baseline,
        excluded=ed.excluded,
        warnings=tuple(warnings),
    )


def _cluster_codes(data: pd.DataFrame, cluster: str | None, pos: np.ndarray, order: np.ndarray) -> np.ndarray | None:
    """Cluster code of each row in the fit's sorted order (None: each row its own cluster, ``robust = TRUE``)."""
    if not cluster:
        return None
    return pd.factorize(as_frame(data)[cluster].to_numpy()[pos][order], sort=True)[0]


def _cluster_sums(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The rows of ``values`` summed by cluster ``codes`` (0, 1, ...), one column at a time with ``bincount``:
    the additions of ``np.add.at(zeros, codes, values)``, in row order, so the same numbers, faster."""
    k = int(codes.max()) + 1
    out = np.empty((k, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=k)
    return out


def _robust_score_test(cx: _Cox, codes: np.ndarray | None,
                       terms0: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Robust (Lin-Wei) score test of beta = 0, as ``coxph``'s ``rscore`` / ``summary(fit)$robscore``.

    :math:`T = U(0)^\\top (D_0^\\top D_0)^{-1} U(0)` with :math:`D_0` the score
    residuals at :math:`\\beta = 0` summed within clusters (each row its own
    cluster with ``robust`` alone) and :math:`U(0) = \\sum D_0`; chi-square
    on the number of terms.  NaN (with ``singular``) when :math:`D_0^\\top D_0`
    is not of full rank, e.g. fewer clusters than terms.
    """
    k = cx.p
    res0 = cx.score_residuals(np.zeros(k), terms0)  # terms0: fit_terms' (den, xbar) at 0, if known
    if codes is not None:
        res0 = _cluster_sums(codes, res0)
    u = res0.sum(axis=0)
    m = res0.T @ res0
    singular = k == 0 or np.linalg.matrix_rank(m) < k
    stat = float("nan") if singular else float(u @ np.linalg.solve(m, u))
    return {"statistic": stat, "df": k, "p": float(stats.chi2.sf(stat, k)) if not singular else float("nan"),
            "robust": True, "singular": bool(singular)}


def _exp(x: np.ndarray) -> np.ndarray:
    """exp without overflow warnings (inf where it overflows, e.g. a separated covariate's CI)."""
    with np.errstate(over="ignore"):
        return np.exp(x)


def _baseline(cx: _Cox, den: np.ndarray) -> pd.DataFrame:
    """Baseline cumulative hazard at x = 0 at each event time (Efron/Breslow increments as ``basehaz``),
    from ``den``, the risk-set sums of the event rows at the fitted coefficients (``fit_terms``)."""
    # hazard increment of each event row: 1/den (Efron: the tied rows' 1/den_k summed)
    inc = cx._by_block(1.0 / den)
    has = np.zeros(cx.bstart.size, bool)
    has[cx.ev_block] = True
    bt = cx.t[cx.bstart][has]
    bs = cx.s[cx.bstart][has]
    h = inc[has]
    cum = pd.Series(h).groupby(bs).cumsum().to_numpy()
    return pd.DataFrame({"stratum": bs, "time": bt, "cumhaz": cum})


def predict_cox_survival(model: CoxModel, X: np.ndarray, horizon: float, stratum: int = 0) -> np.ndarray:
    """Predicted survival :math:`\\exp\\{-H_0(h) e^{x^\\top\\beta}\\}` at ``horizon`` (numeric design rows)."""
    bl = model.baseline[model.baseline["stratum"] == stratum]
    H = bl.loc[bl["time"] <= horizon, "cumhaz"]
    H0 = float(H.iloc[-1]) if len(H) else 0.0
    return np.exp(-H0 * np.exp(np.atleast_2d(X) @ model.coef))


#: the former name (verb first: predict_*), kept as an alias
cox_predict_survival = predict_cox_survival
