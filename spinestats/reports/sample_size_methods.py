"""Methods sentences and references of the sample-size job, one per method.

Each sentence states what was assumed (the options the method used) and what
came out, and cites by name the reference that :func:`references` returns in
full (the bibliographic details are those of
:mod:`spinestats.analysis.design.sample_size`).
"""

from __future__ import annotations

from typing import Any

BUDERER = ("Buderer NMF. Statistical methodology: I. Incorporating the prevalence of disease into the sample size "
           "calculation for sensitivity and specificity. Acad Emerg Med 1996;3:895-900. "
           "doi:10.1111/j.1553-2712.1996.tb03538.x")
HANLEY_MCNEIL = ("Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating characteristic "
                 "(ROC) curve. Radiology 1982;143:29-36. doi:10.1148/radiology.143.1.7063747")
OBUCHOWSKI_MCCLISH = ("Obuchowski NA, McClish DK. Sample size determination for diagnostic accuracy studies "
                      "involving binormal ROC curve indices. Stat Med 1997;16:1529-1542. "
                      "doi:10.1002/(SICI)1097-0258(19970715)16:13<1529::AID-SIM565>3.0.CO;2-H")
PROC = ("Robin X, Turck N, Hainard A, et al. pROC: an open-source package for R and S+ to analyze and compare ROC "
        "curves. BMC Bioinformatics 2011;12:77. doi:10.1186/1471-2105-12-77")
DONNER_ELIASZIW = ("Donner A, Eliasziw M. A goodness-of-fit approach to inference procedures for the kappa "
                   "statistic: confidence interval construction, significance-testing and sample size estimation. "
                   "Stat Med 1992;11:1511-1519. doi:10.1002/sim.4780111109")
RILEY_2019 = ("Riley RD, Snell KIE, Ensor J, et al. Minimum sample size for developing a multivariable prediction "
              "model: part II - binary and time-to-event outcomes. Stat Med 2019;38:1276-1296. doi:10.1002/sim.7992")
RILEY_2020 = ("Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a clinical "
              "prediction model. BMJ 2020;368:m441. doi:10.1136/bmj.m441")
FLAHAULT = ("Flahault A, Cadilhac M, Thomas G. Sample size calculation should be performed for design accuracy in "
            "diagnostic test studies. J Clin Epidemiol 2005;58:859-862. doi:10.1016/j.jclinepi.2004.12.009")
CHU_COLE = ("Chu H, Cole SR. Sample size calculation using exact methods in diagnostic test studies. J Clin Epidemiol "
            "2007;60:1201-1202. doi:10.1016/j.jclinepi.2006.09.015")
CHERNICK_LIU = ("Chernick MR, Liu CY. The saw-toothed behavior of power versus sample size and software solutions: "
                "single binomial proportion using exact methods. Am Stat 2002;56:149-155. "
                "doi:10.1198/000313002317572835")

#: the references of each method, in the order its sentence cites them
REFERENCES: dict[str, tuple[str, ...]] = {
    "buderer": (BUDERER,),
    "auc": (HANLEY_MCNEIL,),
    "auc_power": (OBUCHOWSKI_MCCLISH, PROC),
    "kappa": (DONNER_ELIASZIW,),
    "riley": (RILEY_2019, RILEY_2020),
    "criteria": (FLAHAULT, CHERNICK_LIU, CHU_COLE),
}


def _pct(level: float) -> str:
    """A confidence level as a percentage (0.95 -> "95%")."""
    return f"{100 * level:g}%"


def _buderer(r: dict[str, Any]) -> str:
    error = ("an absolute half-width" if r["error"] == "absolute"
             else "a half-width relative to the expected value (epiR's relative error)")
    return (f"The sample size was computed by Buderer's method (Buderer 1996), as epiR epi.ssdxsesp computes it, "
            f"to estimate sensitivity and specificity with {_pct(r['level'])} confidence intervals of {error} of "
            f"{r['precision']:g}, assuming a sensitivity of {r['sensitivity']:g}, a specificity of "
            f"{r['specificity']:g} and a prevalence of {r['prevalence']:g}: {r['n_sensitivity']} patients for "
            f"sensitivity and {r['n_specificity']} for specificity, so {r['n']} patients in total, "
            f"{r['n_diseased']} of them expected to have the condition.")


def _auc(r: dict[str, Any]) -> str:
    return (f"The sample size was computed with the Hanley\u2013McNeil variance (Hanley & McNeil 1982) to estimate "
            f"an expected area under the ROC curve of {r['auc']:g} with a {_pct(r['level'])} confidence interval "
            f"of half-width {r['precision']:g} at a prevalence of {r['prevalence']:g}: {r['n']} patients "
            f"({r['n_cases']} with and {r['n_controls']} without the condition).")


def _auc_power(r: dict[str, Any]) -> str:
    sided = "two-sided" if r["alternative"] == "two.sided" else "one-sided"
    return (f"The sample size was computed with the Obuchowski\u2013McClish binormal variance (Obuchowski & "
            f"McClish 1997), as pROC power.roc.test computes it (Robin et al. 2011), to show that an expected area "
            f"under the ROC curve of {r['auc']:g} exceeds 0.5 with a power of {r['power']:g} at a {sided} "
            f"significance level of {r['sig_level']:g}, with {r['kappa']:.3g} controls per case: "
            f"{r['n_cases']} cases and {r['n_controls']} controls.")


def _kappa(r: dict[str, Any]) -> str:
    sided = "two-sided" if r["sides"] == 2 else "one-sided"
    return (f"The sample size was computed by the Donner\u2013Eliasziw goodness-of-fit method (Donner & Eliasziw "
            f"1992) to distinguish an expected kappa of {r['kappa1']:g} from a kappa of {r['kappa0']:g} (two "
            f"raters, binary rating, {r['prevalence']:g} of ratings positive) with a power of {r['power']:g} at a "
            f"{sided} significance level of {r['alpha']:g}: {r['n']} subjects.")


def _riley(r: dict[str, Any]) -> str:
    return ("The minimum sample size for developing a binary-outcome prediction model was computed by the criteria "
            "of Riley et al. (Riley et al. 2019; Riley et al. 2020), as pmsampsize computes them, assuming "
            f"{r['parameters']} candidate predictor parameters, an outcome proportion of {r['prevalence']:g}, an "
            f"anticipated Cox\u2013Snell R\u00b2 of {r['csrsquared']:.3g} (Nagelkerke {r['nagrsquared']:.3g}) "
            f"and a target expected shrinkage of {r['shrinkage_target']:g}: {r['n']} patients ({r['events']} "
            f"events, {r['epp']:.1f} events per candidate parameter).")


#: measure -> (its name, whom its patients are)
MEASURES = {"sensitivity": ("sensitivity", "with the condition"), "specificity": ("specificity", "without it")}


def _criteria(r: dict[str, Any]) -> str:
    tests = "; ".join(f"{MEASURES[m][0]} (null value {c['null']:g}, expected {c['expected']:g}): {c['n']} patients "
                      f"{MEASURES[m][1]}" for m, c in zip(r["measures"], r["criteria"]))
    level = (f"a one-sided level of {r['alpha']:g}" if r["multiplicity"] == "all"
             else f"a one-sided level of {r['alpha_per_test']:g} per test (Holm's first step, alpha {r['alpha']:g})")
    return (f"The sample size was computed so that each prespecified success criterion is met with a power of "
            f"{r['power']:g} by the exact one-sided binomial test at {level} (Flahault et al. 2005), taking the "
            "smallest size from which the saw-toothed power stays above the target (Chernick & Liu 2002; Chu & "
            f"Cole 2007): {tests}; at a prevalence of {r['prevalence']:g}, {r['n']} patients in total.")


SENTENCES = {"buderer": _buderer, "auc": _auc, "auc_power": _auc_power, "kappa": _kappa, "riley": _riley,
             "criteria": _criteria}


def methods(method: str, results: dict[str, Any]) -> tuple[str, ...]:
    """The methods sentence of ``method`` from the section's (JSON-ready) ``results``."""
    return (SENTENCES[method](results),)


def references(method: str) -> tuple[str, ...]:
    """The full references of ``method``."""
    return REFERENCES[method]
