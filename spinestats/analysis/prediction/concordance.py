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

References
----------
Harrell FE, Califf RM, Pryor DB, et al. Evaluating the yield of medical tests.
JAMA 1982;247:2543-6. doi:10.1001/jama.1982.03320430047030
Uno H, Cai T, Pencina MJ, et al. On the C-statistics for evaluating overall
adequacy of risk prediction procedures with censored survival data. Stat Med
2011;30:1105-17. doi:10.1002/sim.4154
Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Prognostic models with
competing risks. Epidemiology 2009;20:555-61. doi:10.1097/EDE.0b013e3181a39056
"""

from __future__ import annotations

import dataclasses

import numpy as np

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
    conc = disc = tied = 0.0
    for s in range(0, len(ev), _BLOCK):
        idx = ev[s : s + _BLOCK]
        ti = time[idx][:, None]
        comparable = (time[None, :] > ti) | ((time[None, :] == ti) & censored[None, :])
        ri = risk[idx][:, None]
        wi = w[s : s + _BLOCK][:, None]
        conc += float(np.sum(wi * (comparable & (ri > risk[None, :]))))
        disc += float(np.sum(wi * (comparable & (ri < risk[None, :]))))
        tied += float(np.sum(wi * (comparable & (ri == risk[None, :]))))
    return conc, disc, tied, conc + disc + tied


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
    """
    if weighting == "uno" and tau is None:
        raise DataError("Uno's C needs a truncation time tau (e.g. the horizon)")
    t, status, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    conc, disc, tied, comp = concordance_arrays(t, status, r, weighting=weighting, tau=tau, competing=competing)
    est = (conc + 0.5 * tied) / comp if comp > 0 else float("nan")
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
        events=int(np.sum(status == 1)),
    )


# --- Harrell's C by merge counting (used by the Cox model's concordance) ---

def _later_counts(r: np.ndarray, which: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each position i: #{j > i: r_j < r_i} and #{j > i: r_j == r_i} (vectorised merge counting).

    With ``which`` (a boolean mask) only those positions are counted (the others are 0).
    """
    n = r.size
    K = int(r.max()) + 1 if n else 1
    less = np.zeros(n, np.int64)
    eq = np.zeros(n, np.int64)
    pos = np.arange(n)
    want = np.ones(n, dtype=bool) if which is None else np.asarray(which, dtype=bool)
    s = 1
    while s < n:
        blk = pos // s
        pair = blk // 2
        left = blk % 2 == 0
        right = ~left
        rkeys = np.sort(pair[right] * K + r[right])
        # where pair p's right block starts in rkeys: the right elements of the pairs before p
        starts = np.concatenate(([0], np.cumsum(np.bincount(pair[right], minlength=pair[-1] + 1))))
        asked = left & want
        lk = pair[asked] * K + r[asked]
        lo = np.searchsorted(rkeys, lk, side="left")
        hi = np.searchsorted(rkeys, lk, side="right")
        less[asked] += lo - starts[pair[asked]]
        eq[asked] += hi - lo
        s *= 2
    return less, eq


def harrell_concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray,
                        strata: np.ndarray | None = None) -> tuple[float, dict]:
    """Harrell's C of ``risk`` (higher = earlier event) within ``strata``, as ``coxph``'s concordance.

    The same pairs as :func:`concordance_arrays` with ``weighting="harrell"``,
    ``competing="censor"`` (``event`` True = event), counted by merging in
    O(n log^2 n) rather than pair by pair, and only within a stratum.  Returns
    the estimate and the counts (concordant, discordant, tied_risk).

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
        order = np.lexsort((rank, ~e, t))  # time asc, events first, risk asc
        t, e, rank = t[order], e[order], rank[order]
        less, eq = _later_counts(rank, e)  # only events' counts are used
        later = t.size - 1 - np.arange(t.size)
        conc += less[e].sum()
        tie += eq[e].sum()
        disc += (later - less - eq)[e].sum()
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
