"""STARD 2015 checklist items that the data can fill, with their numbers.

From a participant flow (records read, exclusions by reason, analysed), the
2x2 table at the cutoff with its accuracy estimates, and the plan, this fills:

* 12a - cutoff of the index test, and whether it was prespecified or exploratory;
* 16 - how missing / invalid data were handled (counts by reason);
* 18 - intended sample size (from the plan's target precision, Buderer 1996),
  when a plan with ``target_precision`` and an expected accuracy is given;
* 19 - flow of participants (numbers for the diagram);
* 21a/21b - distribution of the reference-standard categories (histology)
  in those with and without the target condition, when given;
* 23 - cross tabulation of index test results by the reference standard;
* 24 - estimates of diagnostic accuracy and their precision (95% CI).

Every other item (design, setting, blinding, ...) needs the authors' words
and is listed as "to be completed by the authors".

Reference
---------
Bossuyt PM, Reitsma JB, Bruns DE, et al. STARD 2015: an updated list of
essential items for reporting diagnostic accuracy studies. BMJ
2015;351:h5527. doi:10.1136/bmj.h5527
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from spinestats.analysis.core.result import Result

AUTHOR_ITEMS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10a", "10b", "11", "12b", "13a", "13b", "14",
                "15", "17", "20", "22", "25", "26", "27", "28", "29", "30")


@dataclasses.dataclass(frozen=True)
class StardChecklistResult(Result):
    """Filled STARD items (``items``) and those left to the authors."""

    items: tuple[dict, ...]
    to_be_completed: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in i.items() if k != "numbers"} for i in self.items])


#: the former name, kept as an alias
StardChecklist = StardChecklistResult


def stard_items(
    *,
    flow: Mapping,
    cells: Mapping[str, int],
    accuracy: Mapping[str, Mapping],
    cutoff: float,
    score_name: str,
    positive: str,
    prespecified: bool,
    plan_hash: str | None = None,
    histology: Mapping[str, Mapping[str, int]] | None = None,
    intended_n: int | None = None,
    conf_level: float = 0.95,
) -> StardChecklistResult:
    """Fill the STARD items the data can fill (see module docstring).

    Parameters
    ----------
    flow : ``{n_read, n_analysed, n_excluded, exclusions: [{reason, n, centre?}]}``.
    cells : ``{tp, fp, tn, fn}`` at the cutoff.
    accuracy : ``{"sensitivity": {"estimate", "ci"}, "specificity": {...}}``.
    cutoff : positive when score >= cutoff.
    prespecified : whether the cutoff is the locked plan's.
    histology : optional ``{"with": {histology: n}, "without": {...}}``.
    intended_n : optional planned sample size.
    """
    pct = int(round(conf_level * 100))
    items = []
    status = ("prespecified in the locked plan " + (plan_hash[:12] if plan_hash else "")).strip() \
        if prespecified else "not prespecified (exploratory)"
    items.append({"item": "12a", "topic": "Definition of test positivity cutoff of the index test",
                  "text": f"{score_name} >= {cutoff:g} was classified as test positive; the cutoff was {status}.",
                  "numbers": {"cutoff": cutoff, "prespecified": prespecified, "plan_hash": plan_hash}})
    reasons: dict[str, int] = {}
    for e in flow.get("exclusions", []):
        reasons[str(e["reason"])] = reasons.get(str(e["reason"]), 0) + int(e["n"])
    missing_text = "; ".join(f"{r}: {n}" for r, n in sorted(reasons.items())) or "none"
    items.append({"item": "16", "topic": "How missing data on the index test and reference standard were handled",
                  "text": f"Records with missing or invalid values were excluded (complete-case analysis), "
                          f"{int(flow['n_excluded'])} in total ({missing_text}).",
                  "numbers": {"n_excluded": int(flow["n_excluded"]), "reasons": reasons}})
    if intended_n is not None:
        items.append({"item": "18", "topic": "Intended sample size and how it was determined",
                      "text": f"Intended sample size {intended_n} (Buderer 1996, from the plan's target precision).",
                      "numbers": {"intended_n": int(intended_n)}})
    items.append({"item": "19", "topic": "Flow of participants, using a diagram",
                  "text": f"{int(flow['n_read'])} records were read, {int(flow['n_excluded'])} excluded and "
                          f"{int(flow['n_analysed'])} analysed (see the flow diagram).",
                  "numbers": {k: int(flow[k]) for k in ("n_read", "n_excluded", "n_analysed")}})
    if histology:
        for key, item, topic in (("with", "21a", "Distribution of severity of disease in those with the target condition"),
                                 ("without", "21b", "Distribution of alternative diagnoses in those without the target condition")):
            # the most frequent first, ties by name: the same order whatever order the counts came in
            ordered = sorted((histology.get(key) or {}).items(), key=lambda kv: (-kv[1], kv[0]))
            items.append({"item": item, "topic": topic, "text": "; ".join(f"{h}: {n}" for h, n in ordered),
                          "numbers": dict(ordered)})
    tp, fp, tn, fn = (int(cells[k]) for k in ("tp", "fp", "tn", "fn"))
    items.append({"item": "23", "topic": "Cross tabulation of the index test results by the results of the reference standard",
                  "text": f"{score_name} >= {cutoff:g}: {tp} true positive, {fp} false positive, {fn} false negative, "
                          f"{tn} true negative ({positive} = target condition).",
                  "numbers": {"tp": tp, "fp": fp, "tn": tn, "fn": fn}})
    se, sp = accuracy["sensitivity"], accuracy["specificity"]
    items.append({"item": "24", "topic": "Estimates of diagnostic accuracy and their precision",
                  "text": f"Sensitivity {se['estimate']:.3f} ({pct}% CI {se['ci'][0]:.3f}-{se['ci'][1]:.3f}); "
                          f"specificity {sp['estimate']:.3f} ({pct}% CI {sp['ci'][0]:.3f}-{sp['ci'][1]:.3f}).",
                  "numbers": {"sensitivity": dict(se), "specificity": dict(sp)}})
    return StardChecklistResult(items=tuple(items), to_be_completed=AUTHOR_ITEMS)
