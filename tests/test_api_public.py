"""The public API: ``import spinestats as ss``, readable results, option errors.

The estimators behind these names are checked against R in their own test
files (test_survival_*, test_diagnostic_*, ...); this file checks that the
public names reach them unchanged, and the behaviour of the result objects.
"""

from __future__ import annotations

import dataclasses
import doctest
import inspect
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import spinestats as ss
import spinestats.api as api
import spinestats.sample_size as sample_size_module
from spinestats.analysis.survival import median_ci as median_ci_module
from spinestats.analysis.core import params
from spinestats.analysis.survival.cox import cox_ph
from spinestats.analysis.survival.kaplan_meier import kaplan_meier as km_core
from spinestats.analysis.core.result import Result
from spinestats.errors import UsageError

REQUIRED = {
    "kaplan_meier", "logrank", "cox", "cox_zph", "cumulative_incidence", "gray_test", "fine_gray", "roc",
    "delong", "accuracy", "optimal_cutoff", "bootstrap_cutoff", "mixed_model", "paired_tests", "mice",
    "meta_reml", "reitsma", "cohen_kappa", "icc", "sample_size", "dss", "sins", "wbb", "load",
}


def _module(name):
    import importlib

    return importlib.import_module(f"spinestats.analysis.{name}")


#: the homes given to statistics that lived inside other modules (issue 15, one home per statistic)
MOVED_HOMES = [_module(m) for m in ("diagnostic.mcnemar", "descriptive.fisher_exact", "descriptive.smd",
                                     "descriptive.proportion_ci", "prediction.concordance", "core.newton")]


def test_all_names_resolve_and_have_examples():
    assert REQUIRED <= set(ss.__all__)
    for name in ss.__all__:
        if name == "__version__":
            continue
        obj = getattr(ss, name)
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc and ">>>" in doc, f"ss.{name} has no example in its docstring"
    for name in sample_size_module.__all__:
        doc = inspect.getdoc(getattr(ss.sample_size, name)) or ""
        assert "Examples" in doc and ">>>" in doc, name
    assert set(dir(ss)) >= REQUIRED


def test_aliases_and_unknown_names():
    assert ss.survfit is ss.kaplan_meier
    assert ss.coxph is ss.cox
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        ss.nonexistent  # noqa: B018


def test_import_is_cheap():
    code = ("import sys, spinestats; spinestats.__version__; spinestats.__all__; dir(spinestats); "
            "print(sorted(m for m in ('pandas', 'scipy', 'matplotlib', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("module", [api, sample_size_module, params, median_ci_module, *MOVED_HOMES])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_public_names_equal_the_estimators():
    d = ss.example("fracture")
    assert ss.kaplan_meier(d, time="time", event="death") == km_core(d, time="time", event="death")
    assert ss.cox(d, time="time", event="death", covariates=["age"], conf_level=0.9) == cox_ph(
        d, time="time", event="death", covariates=["age"], conf_level=0.9)


def test_mixed_model_is_build_design_then_fit():
    from spinestats.analysis.longitudinal.mixed_model import build_design, fit_lmm

    d = ss.example("bkp")
    d = d[d["visit"].isin(["baseline", "1w", "1m"])]
    kw = dict(value="nrs", visit="visit", subject="patient_id", visits=["baseline", "1w", "1m"])
    assert ss.mixed_model(d, **kw, conf_level=0.9) == fit_lmm(build_design(d, **kw), conf_level=0.9)


# --- results a person can read ---------------------------------------------------

@pytest.fixture(scope="module")
def km():
    return ss.kaplan_meier(ss.example("fracture"), time="time", event="death", group="modality")


def test_equality_by_value(km):
    d = ss.example("fracture")
    again = ss.kaplan_meier(d, time="time", event="death", group="modality")
    assert km == again
    assert not (km != again)
    other = ss.kaplan_meier(d, time="time", event="death", group="modality", conf_level=0.9)
    assert km != other
    assert km != "not a result"


def test_equality_nan_frames_and_shapes():
    @dataclasses.dataclass(frozen=True)
    class Holder(Result):
        x: np.ndarray
        t: pd.DataFrame
        v: float

    t = pd.DataFrame({"a": [1.0, np.nan]})
    a = Holder(np.array([1.0, np.nan]), t, float("nan"))
    assert a == Holder(np.array([1.0, np.nan]), t.copy(), float("nan"))
    assert a != Holder(np.array([1.0, 2.0]), t, float("nan"))
    assert a != Holder(np.array([1.0, np.nan, 3.0]), t, float("nan"))
    assert a != Holder(np.array([1.0, np.nan]), t.assign(a=[1.0, 2.0]), float("nan"))


def test_not_hashable(km):
    with pytest.raises(TypeError, match="unhashable type: 'KaplanMeierResult'"):
        hash(km)


def test_arrays_read_only(km):
    surv = km.curves[0].survival
    assert isinstance(surv, np.ndarray) and not surv.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        surv[0] = 0.5
    writable = surv.copy()
    writable[0] = 0.5
    assert km.curves[0].survival[0] != 0.5


def test_view_of_caller_array_stays_writable():
    @dataclasses.dataclass(frozen=True)
    class Holder(Result):
        x: np.ndarray

    base = np.arange(4.0)
    h = Holder(base[1:])
    assert base.flags.writeable and not h.x.flags.writeable
    base[1] = 99.0
    assert h.x[0] == 1.0


def test_repr_is_short(km):
    text = repr(km)
    assert text.startswith("KaplanMeierResult(") and len(text) < 300
    assert "n=126" in text and "conf_level=0.95" in text
    curve = repr(km.curves[0])
    assert "<array" in curve and "[" not in curve


def test_summary_formats_like_the_report():
    d = ss.example("fracture")
    fit = ss.cox(d, time="time", event="death", covariates=["age"])
    s = fit.summary()
    assert list(s.columns) == ["term", "coef", "se", "z", "p", "hr (CI)"]
    assert s.loc[0, "p"] == "p = 0.003"
    assert s.loc[0, "hr (CI)"] == "1.027 (1.009\u20131.044)"
    assert s.loc[0, "coef"] == "0.026"
    assert all(isinstance(v, str) for v in s.to_numpy().ravel())


def test_summary_uses_true_minus():
    fg = ss.fine_gray(ss.example("fracture"), time="time", event="event", covariates=["age"])
    assert fg.summary().loc[0, "coef"] == "\u22120.033"


def test_repr_html_is_escaped():
    @dataclasses.dataclass(frozen=True)
    class Labelled(Result):
        label: str
        estimate: float

    html = Labelled("<script>x</script> & co", 0.5)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co" in html
    assert "<table" in html and "0.500" in html and "Labelled" in html


# --- option errors --------------------------------------------------------------

@pytest.mark.parametrize("value", ["95%", 95, 0, 1.0, float("nan"), True, None])
def test_conf_level_checked(value):
    with pytest.raises(UsageError, match=r"conf_level must be a number in \(0, 1\); got"):
        ss.kaplan_meier(ss.example("fracture"), time="time", event="death", conf_level=value)


def test_conf_level_message_exact():
    with pytest.raises(UsageError) as err:
        ss.cox(ss.example("fracture"), time="time", event="death", covariates=["age"], conf_level="95%")
    assert str(err.value) == "conf_level must be a number in (0, 1); got '95%'"
    with pytest.raises(UsageError, match=r"got 95 \(did you mean 0.95\?\)"):
        params.check_conf_level(95)


def test_missing_column_names_closest():
    d = ss.example("fracture")
    with pytest.raises(UsageError) as err:
        ss.kaplan_meier(d, time="tme", event="death")
    assert str(err.value) == "column 'tme' (time=) not in the data; did you mean 'time'?"
    with pytest.raises(UsageError, match=r"column 'agee' \(covariates=\) not in the data; did you mean 'age'\?"):
        ss.cox(d, time="time", event="death", covariates=["agee"])
    with pytest.raises(UsageError, match=r"covariates= must be a list of column names"):
        ss.cox(d, time="time", event="death", covariates="age")
    with pytest.raises(UsageError, match=r"column 'zzz' \(group=\) not in the data; the columns are"):
        ss.logrank(d, time="time", event="death", group="zzz")


def test_bad_choice_and_alias_conflict():
    d = ss.example("fracture")
    with pytest.raises(UsageError, match=r"conf_type must be one of 'log', 'log-log', 'plain'; got 'lg' "
                                         r"\(did you mean 'log'\?\)"):
        ss.kaplan_meier(d, time="time", event="death", conf_type="lg")
    frame = pd.DataFrame({"yi": [0.1, 0.3], "vi": [0.02, 0.03]})
    with pytest.raises(UsageError, match="not both"):
        ss.meta_reml(frame, yi="yi", vi="vi", conf_level=0.9, level=0.8)
    assert ss.meta_reml(frame, yi="yi", vi="vi", level=0.9) == ss.meta_reml(frame, yi="yi", vi="vi", conf_level=0.9)


def test_sample_size_library_wording():
    with pytest.raises(UsageError) as err:
        ss.sample_size.auc(auc=0.4)
    assert str(err.value) == "auc must be a number in (0.5, 1); got 0.4"
    assert "--" not in str(err.value)
    with pytest.raises(UsageError, match="precision must be a number"):
        ss.sample_size.buderer(sensitivity=0.9, specificity=0.8, prevalence=0.3, precision=-1)


def test_truth_needs_positive():
    d = ss.example("dss")
    with pytest.raises(UsageError, match="give positive="):
        ss.roc(d, score="dss", truth="reference")
    with pytest.raises(UsageError, match=r"positive='Malignant' is not a value of column 'reference'"):
        ss.roc(d, score="dss", truth="reference", positive="Malignant")


def test_data_must_be_a_frame():
    with pytest.raises(UsageError, match="data must be a pandas DataFrame; got dict"):
        ss.kaplan_meier({"time": [1]}, time="time", event="event")
