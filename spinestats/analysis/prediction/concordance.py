"""Harrell's and Uno's concordance index, with death as a competing risk.

For an event of interest at ``T_i`` and a risk score ``M`` (higher = earlier
fracture), a pair ``(i, j)`` is *comparable* when ``T_j > T_i``, or ``T_j =
T_i`` and ``j`` was censored (a censoring at a tied time counts as after the
event).  Pairs with both events at the same time are not comparable.  Then

.. math::

    C = \\frac{\\sum_{i:\\,\\delta_i=1,\\,T_i\\le\\tau} w(T_i) \\sum_{j\\ \\mathrm{comparable}}
              \\{ I(M_i > M_j) + \\tfrac12 I(M_i = M_j) \\}}
             {\\sum_{i:\\,\\delta_i=1,\\,T_i\\le\\tau} w(T_i)\\, \\#\\{j\\ \\mathrm{comparable}\\}},

with ``w = 1`` for Harrell's C (``tau`` = infinity unless given) and
``w = 1 / G(T_i-)^2`` for Uno's C, ``G`` the censoring Kaplan-Meier
(:mod:`spinestats.analysis.prediction.ipcw`).  These equal R survival's
``concordance(Surv(time, status) ~ risk, reverse = TRUE, timewt = "n")`` and
``timewt = "n/G2", ymax = tau``.

Competing risks (Wolbers et al. 2009): with ``competing="infinite"`` (the
default) a patient who died before fracturing stays comparable with every
fracture -- their fracture time is treated as infinite (``T = inf``,
uncensored for the censoring distribution); this is the concordance for the
cumulative incidence of fracture.  ``competing="censor"`` treats death as
censoring (cause-specific concordance).

Standard error (infinitesimal jackknife, as ``concordance()$var``).  Write
``N = C + D + T`` for the weighted concordant, discordant and risk-tied
comparable pairs and ``d = (C - D)/N`` (Somers' d, so ``C-index = (d+1)/2``).
For each patient ``k`` let ``C_k``, ``D_k`` and ``T_k`` be the weighted pairs
that ``k`` belongs to, as the event or as the one still event-free (each pair
carries the weight ``w(T_i)`` of its event).  The derivative of the C-index
with respect to the case weight of ``k`` is

.. math::

    \\mathrm{dfbeta}_k = \\frac{(C_k - D_k) - (C_k + D_k + T_k)\\, d}{2N},

and the variance is ``sum_k dfbeta_k^2``, the time weights ``w`` (Uno's
``1/G^2``) held fixed.  This equals R survival's ``fit$var`` and
``fit$dfbeta`` of ``concordance(..., reverse = TRUE, influence = 1)`` (the
sign of ``dfbeta`` as ours: higher risk = earlier event).  Undefined cases are
stated, never raised: no event (of interest, by ``tau``), a single patient, or
no comparable pair give ``NaN`` with the sentence in ``reason``.

References
----------
Harrell FE, Califf RM, Pryor DB, et al. Evaluating the yield of medical tests.
JAMA 1982;247:2543-6. doi:10.1001/jama.1982.03320430047030
Therneau T, Atkinson E. Concordance. Vignette of the R package survival
(section on the infinitesimal jackknife variance).
Uno H, Cai T, Pencina MJ, et al. On the C-statistics for evaluating overall
adequacy of risk prediction procedures with censored survival data. Stat Med
2011;30:1105-17. doi:10.1002/sim.4154
Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Prognostic models with
competing risks. Epidemiology 2009;20:555-61. doi:10.1097/EDE.0b013e3181a39056
"""

from __future__ import annotations

import dataclasses

import numpy as np

from spinestats.analysis.core.critical import z_critical
from spinestats.analysis.core.radix_order import float_keys, lex_order, stable_order
from spinestats.analysis.prediction.ipcw import censoring_survival
from spinestats.analysis.core.result import Result
from spinestats.analysis.core.surv_input import SurvInput, as_frame, event_data
from spinestats.errors import DataError

_BLOCK = 2048


@dataclasses.dataclass(frozen=True)
class ConcordanceResult(Result):
    """A concordance index.

    Attributes
    ----------
    estimate : the C-index (0-1; 0.5 = no discrimination).
    weighting : ``"harrell"`` or ``"uno"``.
    tau : truncation time (``None`` = no truncation), same unit as time.
    competing : how competing events were handled (``"infinite"``/``"censor"``).
    concordant, discordant, tied_risk : weighted pair counts.
    comparable : weighted number of comparable pairs.
    n, events : patients and events of interest used.
    variance, se : infinitesimal-jackknife variance and standard error of
        ``estimate`` (R's ``concordance()$var``); ``NaN`` when undefined.
    ci : Wald interval ``estimate ± z SE`` at ``conf_level`` (as the AUC(t)
        and Brier intervals of riskRegression ``Score``).
    reason : why the C-index is undefined (``None`` when it is defined).
    """

    estimate: float
    weighting: str
    tau: float | None
    competing: str
    concordant: float
    discordant: float
    tied_risk: float
    comparable: float
    n: int
    events: int
    variance: float = float("nan")
    se: float = float("nan")
    ci: tuple[float, float] = (float("nan"), float("nan"))
    conf_level: float = 0.95
    reason: str | None = None


def event_status(event: np.ndarray, cause, censor) -> np.ndarray:
    """Codes ``0`` censored, ``1`` event of interest, ``2`` competing event."""
    event = np.asarray(event)
    out = np.where(event == censor, 0, np.where(event == cause, 1, 2))
    return out.astype(int)


def prediction_input(
    data: SurvInput, *, time: str, event: str, risk: str, cause=1, censor=0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``(time, status, risk)`` arrays for a validation measure.

    Passes through :func:`spinestats.analysis.core.surv_input.event_data` (the one
    door for time-to-event input); ``status`` is recoded 0 censored / 1
    ``cause`` / 2 any other (competing) event.  A missing time, event or
    predicted risk is refused: a validation measure must use every patient.
    """
    ed = event_data(data, time=time, event=event, censor=censor, extra=(risk,))
    data = as_frame(data)  # an EventData passed in: its source table
    if ed.excluded:
        raise DataError(
            f"{len(ed.excluded)} row(s) miss a value in {time}, {event} or {risk} "
            f"(index {list(ed.excluded)[:10]}); every patient needs a time, a status and a predicted risk."
        )
    r = data[risk].to_numpy(dtype=float)
    if not np.all(np.isfinite(r)):
        raise DataError(f"predicted risks in '{risk}' must be finite numbers")
    return ed.time, event_status(ed.status, cause, censor), r


def _prepare(time, status, risk, weighting: str, tau: float | None, competing: str):
    """Times (competing events at infinity for Wolbers), censoring flags, risks, events used and their weights."""
    time = np.asarray(time, dtype=float).copy()
    status = np.asarray(status, dtype=int)
    risk = np.asarray(risk, dtype=float)
    if competing == "infinite":
        time[status == 2] = np.inf
        censored = status == 0
    elif competing == "censor":
        censored = status != 1
    else:
        raise DataError(f"competing must be 'infinite' or 'censor'; got {competing!r}")
    ev = np.flatnonzero(status == 1)
    if tau is not None:
        ev = ev[time[ev] <= tau]
    if weighting == "harrell":
        w = np.ones(len(ev))
    elif weighting == "uno":
        g = censoring_survival(time, censored).at(time[ev], left=True)
        w = 1.0 / g**2
    else:
        raise DataError(f"weighting must be 'harrell' or 'uno'; got {weighting!r}")
    return time, censored, risk, ev, w


def _pairs(time, censored, risk, ev, w, per_patient: bool):
    """Weighted concordant/discordant/tied pair totals and, with ``per_patient``, each patient's share.

    The pairs are formed block by block (events x patients), so memory stays
    ``O(_BLOCK n)``.  A patient's share counts the pairs in which it is the
    event (row sums) and those in which it is the one still event-free
    (column sums), each pair weighted by the weight of its event.
    """
    n = len(time)
    totals = np.zeros(3)
    share = np.zeros((3, n)) if per_patient else None
    for s in range(0, len(ev), _BLOCK):
        idx = ev[s : s + _BLOCK]
        ti = time[idx][:, None]
        comparable = (time[None, :] > ti) | ((time[None, :] == ti) & censored[None, :])
        ri = risk[idx][:, None]
        wi = w[s : s + _BLOCK]
        for m, rel in enumerate((ri > risk[None, :], ri < risk[None, :], ri == risk[None, :])):
            cell = (comparable & rel).astype(float)
            rows = cell.sum(axis=1)
            totals[m] += float(wi @ rows)
            if share is not None:
                share[m] += wi @ cell  # as the event-free member of the pair
                share[m][idx] += wi * rows  # as the event (event indices are distinct)
    return totals, share


def _dfbeta(totals: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Each patient's influence on the C-index (the derivative with respect to its case weight)."""
    npair = float(totals.sum())
    somers = (totals[0] - totals[1]) / npair
    return ((share[0] - share[1]) - share.sum(axis=0) * somers) / (2.0 * npair)


def concordance_arrays(
    time: np.ndarray,
    status: np.ndarray,
    risk: np.ndarray,
    *,
    weighting: str = "harrell",
    tau: float | None = None,
    competing: str = "infinite",
) -> tuple[float, float, float, float]:
    """Concordant, discordant, tied-risk and comparable (weighted) pair counts.

    ``status`` is coded 0 censored / 1 event of interest / 2 competing event.
    """
    t, censored, r, ev, w = _prepare(time, status, risk, weighting, tau, competing)
    if weighting == "harrell":
        # unweighted pairs: counted by merging (one home for Harrell's pair count)
        event = np.zeros(t.size, dtype=bool)
        event[ev] = True
        _, counts = harrell_concordance(t, event, r)
        conc, disc, tied = (float(counts[k]) for k in ("concordant", "discordant", "tied_risk"))
        return conc, disc, tied, conc + disc + tied
    totals, _ = _pairs(t, censored, r, ev, w, per_patient=False)
    conc, disc, tied = (float(x) for x in totals)
    return conc, disc, tied, conc + disc + tied


def concordance_influence(
    time: np.ndarray,
    status: np.ndarray,
    risk: np.ndarray,
    *,
    weighting: str = "harrell",
    tau: float | None = None,
    competing: str = "infinite",
) -> tuple[float, np.ndarray]:
    """The C-index and its infinitesimal-jackknife influence (``dfbeta``) per patient.

    ``status`` is coded as in :func:`concordance_arrays`.  Returns
    ``(estimate, dfbeta)``; ``sum(dfbeta**2)`` is the variance (see the
    module docstring).  Both are ``NaN`` when there is no comparable pair.
    """
    time, censored, risk, ev, w = _prepare(time, status, risk, weighting, tau, competing)
    totals, share = _pairs(time, censored, risk, ev, w, per_patient=True)
    assert share is not None
    npair = float(totals.sum())
    if npair <= 0:
        return float("nan"), np.full(len(time), np.nan)
    return float((totals[0] + 0.5 * totals[2]) / npair), _dfbeta(totals, share)


def undefined_reason(n: int, events: int, comparable: float, tau: float | None) -> str | None:
    """The sentence saying why a C-index is undefined, or ``None`` when it is defined.

    ``events`` counts the events of interest that enter the index (those by
    ``tau`` when truncated); ``comparable`` is the (weighted) number of
    comparable pairs.
    """
    if n < 2:
        return f"only {n} patient{'' if n == 1 else 's'}: a C-index needs pairs of patients."
    if events == 0:
        by = f" by time {tau:g}" if tau is not None else ""
        return f"no event of interest{by}: a C-index needs at least one event."
    if comparable <= 0:
        return ("no comparable pair (every event is the last follow-up, with nobody still event-free after it): "
                "the C-index is undefined.")
    return None


def concordance(
    data: SurvInput,
    *,
    time: str,
    event: str,
    risk: str,
    cause=1,
    censor=0,
    weighting: str = "harrell",
    tau: float | None = None,
    competing: str = "infinite",
    conf_level: float = 0.95,
) -> ConcordanceResult:
    """Harrell's or Uno's C of ``risk`` for the event ``cause`` (see module docstring).

    Parameters
    ----------
    data : one row per patient.
    time : follow-up time column (e.g. months from irradiation).
    event : event-type column (``censor`` = censored, ``cause`` = fracture,
        anything else = competing event such as death).
    risk : predicted risk column (higher = earlier/more likely event).
    weighting : ``"harrell"`` or ``"uno"``.
    tau : truncation time (events after ``tau`` do not count); required for Uno.
    competing : ``"infinite"`` (Wolbers) or ``"censor"``.
    conf_level : level of the Wald interval ``ci``.

    The standard error is R survival's (see the module docstring); an
    undefined C-index (no event, one patient, no comparable pair) comes back
    as ``NaN`` with the sentence in ``reason``.
    """
    if weighting == "uno" and tau is None:
        raise DataError("Uno's C needs a truncation time tau (e.g. the horizon)")
    t, status, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    tt, censored, rr, ev, w = _prepare(t, status, r, weighting, tau, competing)
    totals, share = _pairs(tt, censored, rr, ev, w, per_patient=True)
    assert share is not None
    conc, disc, tied = (float(x) for x in totals)
    comp = conc + disc + tied
    events = int(np.sum(status == 1))
    reason = undefined_reason(len(t), len(ev), comp, tau)
    est = var = float("nan")
    if reason is None:
        est = (conc + 0.5 * tied) / comp
        var = float(np.sum(_dfbeta(totals, share) ** 2))
    half = z_critical(conf_level) * float(np.sqrt(var))
    return ConcordanceResult(
        estimate=est,
        weighting=weighting,
        tau=tau,
        competing=competing,
        concordant=conc,
        discordant=disc,
        tied_risk=tied,
        comparable=comp,
        n=len(data),
        events=events,
        variance=var,
        se=float(np.sqrt(var)),
        ci=(est - half, est + half),
        conf_level=conf_level,
        reason=reason,
    )


# --- Harrell's C by merge counting (used by the Cox model's concordance) ---

def _earlier_in_group(flag: np.ndarray, group: np.ndarray, counted: np.ndarray, ngroups: int) -> int:
    """Sum over the rows ``j`` with ``counted[j]`` of #{i < j (position): ``flag[i]``, same ``group``}.

    The rows are ordered by (group, position) with one stable sort; a running count of ``flag`` in that
    order counts for each row the flagged rows before it, in its group and in every earlier group; the
    latter, per group the flagged rows of the groups before it, is taken off by group.
    """
    order = stable_order(group)
    f = flag[order]
    before = np.cumsum(f) - f  # flagged rows before each row in (group, position) order
    total = int(before[counted[order]].sum())
    nflag = np.bincount(group[flag], minlength=ngroups)
    ncounted = np.bincount(group[counted], minlength=ngroups)
    return total - int((np.cumsum(nflag) - nflag) @ ncounted)


def _pair_totals(r: np.ndarray, which: np.ndarray) -> tuple[int, int]:
    """Over the positions ``i`` with ``which[i]``: the totals of #{j > i: r_j < r_i} and #{j > i: r_j == r_i}.

    ``r`` holds ranks 0, 1, ... (integers).  A pair with ``r_i > r_j`` is counted at the highest bit in
    which the two ranks differ: there they share every higher bit (the same ``r >> (b + 1)``), ``r_i`` has
    a one and ``r_j`` a zero.  So for each bit ``b`` the pairs are those, within each group of equal
    ``r >> (b + 1)``, of a flagged row with a one before (in position) a row with a zero: a running count
    within groups (:func:`_earlier_in_group`), one stable radix sort per bit, O(n log n) in all.  The tied
    pairs are the same count within groups of equal ``r``.
    """
    which = np.asarray(which, dtype=bool)
    if r.size == 0:
        return 0, 0
    r = np.asarray(r, dtype=np.int64)
    top = int(r.max())
    less = 0
    for b in range(max(1, top.bit_length())):
        prefix = r >> (b + 1)
        one = (r >> b) & 1 == 1
        less += _earlier_in_group(which & one, prefix, ~one, (top >> (b + 1)) + 1)
    eq = _earlier_in_group(which, r, np.ones(r.size, dtype=bool), top + 1)
    return less, eq


def harrell_concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray,
                        strata: np.ndarray | None = None) -> tuple[float, dict]:
    """Harrell's C of ``risk`` (higher = earlier event) within ``strata``, as ``coxph``'s concordance.

    The same pairs as :func:`concordance_arrays` with ``weighting="harrell"``,
    ``competing="censor"`` (``event`` True = event), counted by merging in
    O(n log n) rather than pair by pair, and only within a stratum.  Returns
    the estimate and the counts (concordant, discordant, tied_risk).  Within a stratum the rows are sorted
    once (time, events first, risk) and the pairs counted with one radix sort per bit of the risk's rank
    (:func:`_pair_totals`).

    >>> c, n = harrell_concordance(np.array([1.0, 2, 3, 4]), np.array([1, 1, 0, 1]), np.array([4.0, 3, 1, 2]))
    >>> c, float(n["concordant"]), float(n["discordant"])
    (1.0, 5.0, 0.0)
    """
    strata = np.zeros(time.size, int) if strata is None else strata
    conc = disc = tie = 0.0
    for s in np.unique(strata):
        m = strata == s
        t, e, x = time[m], event[m].astype(bool), risk[m]
        _, rank = np.unique(x, return_inverse=True)
        tkeys = float_keys(t)
        if tkeys is None:
            order = np.lexsort((rank, ~e, t))  # time asc, events first, risk asc
        else:  # the same permutation by stable passes, least significant key first
            order = lex_order((rank, ~e, tkeys))
        t, e, rank = t[order], e[order], rank[order]
        less, eq = _pair_totals(rank, e)  # over the events: later rows with a lower / the same risk
        later = int((t.size - 1 - np.flatnonzero(e)).sum())  # later rows of each event
        conc += less
        tie += eq
        disc += later - less - eq
        # remove pairs of events tied in time (not comparable): within a block sorted by risk,
        # no pair is concordant; tied-risk pairs are m(m-1)/2 per (time, risk) group
        te, re_ = t[e], rank[e]
        _, dcount = np.unique(te, return_counts=True)
        pairs = (dcount * (dcount - 1) // 2).sum()
        # (time, risk) groups: events are sorted by time then risk, so groups are runs
        if te.size:
            brk = np.concatenate(([True], (te[1:] != te[:-1]) | (re_[1:] != re_[:-1]), [True]))
            trc = np.diff(np.flatnonzero(brk))
        else:
            trc = np.zeros(0, int)
        tied_pairs = (trc * (trc - 1) // 2).sum()
        tie -= tied_pairs
        disc -= pairs - tied_pairs
    total = conc + disc + tie
    est = (conc + 0.5 * tie) / total if total > 0 else float("nan")
    return float(est), {"concordant": conc, "discordant": disc, "tied_risk": tie}
