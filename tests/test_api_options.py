"""Bad options and missing columns, across every public function (issue 15, "Bad input").

* An option of the wrong type (``conf_level="95%"``) is a :class:`UsageError`
  naming the Python parameter and the accepted range, for every callable in
  ``spinestats.__all__`` and ``spinestats.sample_size.__all__``.
* A column that does not exist is a :class:`UsageError` naming the closest
  existing column, from the Python API and from the command line; both go
  through the one helper :func:`spinestats.analysis.core.params.check_column`.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pandas as pd
import pytest

import spinestats as ss
from spinestats.analysis.core import params
from spinestats.errors import UsageError
from tests.cli_run import cli

FRACTURE = ss.example("fracture")
DSS = ss.example("dss")
BKP = ss.example("bkp")
READERS = ss.example("readers")
BKP3 = BKP[BKP["visit"].isin(["baseline", "1w", "1m"])]
WIDE = BKP.pivot(index="patient_id", columns="visit", values="nrs").astype(float)
META = pd.DataFrame({"yi": [0.1, 0.3, 0.5, 0.2], "vi": [0.02, 0.03, 0.05, 0.04]})
DTA = pd.DataFrame({"tp": [20, 15, 30, 12], "fp": [5, 8, 4, 6], "fn": [4, 6, 5, 3], "tn": [40, 30, 50, 25]})
DIAG = dict(score="dss", truth="reference", positive="malignant")

#: a valid call of every public function: (data, keyword arguments)
VALID = {
    "kaplan_meier": (FRACTURE, dict(time="time", event="death")),
    "logrank": (FRACTURE, dict(time="time", event="death", group="modality")),
    "cox": (FRACTURE, dict(time="time", event="death", covariates=["age"])),
    "cox_zph": (FRACTURE, dict(time="time", event="death", covariates=["age"])),
    "cumulative_incidence": (FRACTURE, dict(time="time", event="event")),
    "gray_test": (FRACTURE, dict(time="time", event="event", group="modality")),
    "fine_gray": (FRACTURE, dict(time="time", event="event", covariates=["age"])),
    "roc": (DSS, DIAG),
    "delong": (DSS, DIAG),
    "accuracy": (DSS, dict(DIAG, cutoff=3)),
    "optimal_cutoff": (DSS, DIAG),
    "bootstrap_cutoff": (DSS, dict(DIAG, n_boot=20, seed=1)),
    "mixed_model": (BKP3, dict(value="nrs", visit="visit", subject="patient_id", visits=["baseline", "1w", "1m"])),
    "paired_tests": (BKP3, dict(value="nrs", visit="visit", subject="patient_id", visits=["baseline", "1w", "1m"])),
    "mice": (WIDE, dict(columns=["3m"], predictors=["baseline", "1m"], m=2, maxit=2, seed=1)),
    "meta_reml": (META, dict(yi="yi", vi="vi")),
    "reitsma": (DTA, {}),
    "cohen_kappa": (READERS, dict(rater1="R1", rater2="R2")),
    "icc": (READERS, dict(raters=["R1", "R2", "R3"])),
    "dss": (DSS, {}),
    "sins": (FRACTURE, {}),
    "wbb": (pd.DataFrame({"wbb_zones": ["4-8", "10-3"]}), {}),
}

#: one option of the wrong type per function, and the message it must give (parameter + accepted range)
BAD_OPTION = {
    "kaplan_meier": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\); got '95%'"),
    "logrank": ("rho", "0.5", r"rho must be a number >= 0; got '0.5'"),
    "cox": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "cox_zph": ("transform", 3, r"transform must be one of 'km', 'rank', 'identity', 'log'; got 3"),
    "cumulative_incidence": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "gray_test": ("cause", "x", r"cause must be a whole number; got 'x'"),
    "fine_gray": ("conf_level", 95, r"conf_level must be a number in \(0, 1\); got 95 \(did you mean 0.95\?\)"),
    "roc": ("positive", "Malignant", r"positive='Malignant' is not a value of column 'reference' \(values: "),
    "delong": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "accuracy": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "optimal_cutoff": ("method", "yuden", r"method must be one of .*'youden'.*; got 'yuden' \(did you mean 'youden'\?\)"),
    "bootstrap_cutoff": ("n_boot", "20", r"n_boot must be a whole number >= 1; got '20'"),
    "mixed_model": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "paired_tests": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "mice": ("m", "2", r"m must be a whole number >= 1; got '2'"),
    "meta_reml": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "reitsma": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "cohen_kappa": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "icc": ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)"),
    "dss": ("size_threshold_cm", "5", r"size_threshold_cm must be a number >= 0; got '5'"),
    "sins": ("columns", {"sins_pian": "sins_pain"}, r"a key of columns must be one of .*; got 'sins_pian' \(did you mean 'sins_pain'\?\)"),
    "wbb": ("zones", "wbb_zone", r"column 'wbb_zone' \(zones=\) not in the data; did you mean 'wbb_zones'\?"),
    "load": ("schema", "fractur", r"fractur"),
    "example": ("name", 3, r"name must be one of 'dss', 'fracture', 'bkp', 'readers'; got 3"),
}

#: sample-size functions: valid keywords, and the wrong option
SAMPLE_SIZE = {
    "buderer": (dict(sensitivity=0.9, specificity=0.8, prevalence=0.3, precision=0.05),
                ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)")),
    "auc": (dict(auc=0.7), ("sig_level", "0.05", r"sig_level must be a number in \(0, 1\); got '0.05'")),
    "auc_precision": (dict(auc=0.8, prevalence=0.3, precision=0.1),
                      ("conf_level", "95%", r"conf_level must be a number in \(0, 1\)")),
    "kappa": (dict(kappa0=0.4, kappa1=0.6, prevalence=0.3), ("alpha", "0.05", r"alpha must be a number in \(0, 1\)")),
    "riley": (dict(parameters=5, prevalence=0.2, csrsquared=0.1),
              ("shrinkage", "0.9", r"shrinkage must be a number in \(0, 1\); got '0.9'")),
}

PUBLIC_CALLABLES = [n for n in ss.__all__ if n not in ("__version__", "sample_size")]


def test_every_public_function_has_a_case():
    assert set(BAD_OPTION) == set(PUBLIC_CALLABLES)
    assert set(VALID) == set(PUBLIC_CALLABLES) - {"load", "example"}
    assert set(SAMPLE_SIZE) == set(ss.sample_size.__all__)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_call_runs(name):
    data, kw = VALID[name]
    assert getattr(ss, name)(data, **kw) is not None


@pytest.mark.parametrize("name", sorted(BAD_OPTION))
def test_wrong_option_is_a_usage_error_naming_the_parameter(name):
    param, value, message = BAD_OPTION[name]
    fn = getattr(ss, name)
    if name == "load":
        from importlib.resources import files

        call = lambda: fn(files("spinestats.data_schemas.examples") / "synthetic_dss.csv", value)  # noqa: E731
    elif name == "example":
        call = lambda: fn(value)  # noqa: E731
    else:
        data, kw = VALID[name]
        call = lambda: fn(data, **{**kw, param: value})  # noqa: E731
    with pytest.raises(UsageError, match=message) as err:
        call()
    assert param in str(err.value) or repr(value) in str(err.value) or str(value) in str(err.value)


@pytest.mark.parametrize("name", sorted(n for n in VALID if "conf_level" in inspect.signature(getattr(ss, n)).parameters))
@pytest.mark.parametrize("value", ["95%", 95, 0, 1.0, float("nan"), None, True])
def test_conf_level_refused_everywhere(name, value):
    data, kw = VALID[name]
    with pytest.raises(UsageError, match=r"^conf_level must be a number in \(0, 1\); got "):
        getattr(ss, name)(data, **kw, conf_level=value)


@pytest.mark.parametrize("name", sorted(SAMPLE_SIZE))
def test_sample_size_wrong_option(name):
    kw, (param, value, message) = SAMPLE_SIZE[name]
    fn = getattr(ss.sample_size, name)
    assert fn(**kw) is not None
    with pytest.raises(UsageError, match=message):
        fn(**{**kw, param: value})


# --- missing columns -------------------------------------------------------------

#: one column keyword per function, misspelt, and the existing column it must suggest
MISSPELT = {
    "kaplan_meier": ("time", "tme", "time"),
    "logrank": ("group", "modalty", "modality"),
    "cox": ("covariates", ["agee"], "age"),
    "cox_zph": ("event", "deaht", "death"),
    "cumulative_incidence": ("event", "evnt", "event"),
    "gray_test": ("group", "Modality", "modality"),
    "fine_gray": ("time", "tim", "time"),
    "roc": ("score", "DSS", "dss"),
    "delong": ("truth", "referense", "reference"),
    "accuracy": ("score", "dds", "dss"),
    "optimal_cutoff": ("truth", "refrence", "reference"),
    "bootstrap_cutoff": ("score", "dsss", "dss"),
    "mixed_model": ("subject", "patient", "patient_id"),
    "paired_tests": ("value", "nrs0", "nrs"),
    "mice": ("columns", ["3M"], "3m"),
    "meta_reml": ("vi", "v1", "vi"),
    "reitsma": ("tp", "tpp", "tp"),
    "cohen_kappa": ("rater2", "r2", "R2"),
    "icc": ("raters", ["R1", "R4"], "R1"),
    "wbb": ("zones", "wbb_zone", "wbb_zones"),
}


@pytest.mark.parametrize("name", sorted(MISSPELT))
def test_missing_column_names_the_closest_one(name):
    param, wrong, closest = MISSPELT[name]
    data, kw = VALID[name]
    bad = wrong[0] if isinstance(wrong, list) and name != "icc" else wrong[-1] if name == "icc" else wrong
    with pytest.raises(UsageError) as err:
        getattr(ss, name)(data, **{**kw, param: wrong})
    assert str(err.value).startswith(f"column {bad!r} ({param}=) not in the data; did you mean ")
    assert re.search(rf"did you mean '{re.escape(closest)}'\?$", str(err.value)) or name == "icc"


def test_estimator_modules_use_the_same_check():
    """Below the public wrappers, the estimators' own column checks give the same message."""
    from spinestats.analysis.diagnostic.accuracy import accuracy_at_cutoff
    from spinestats.analysis.survival.kaplan_meier import kaplan_meier

    with pytest.raises(UsageError, match=r"^column 'tme' \(time=\) not in the data; did you mean 'time'\?$"):
        kaplan_meier(FRACTURE, time="tme", event="death")
    with pytest.raises(UsageError, match=r"^column 'DSS' \(score=\) not in the data; did you mean 'dss'\?$"):
        accuracy_at_cutoff(DSS, score="DSS", truth="reference", positive="malignant", cutoff=3)


@pytest.mark.parametrize("job", ["survival_job", "validate_job", "diagnostic_job", "fracture_job", "agreement_job",
                                 "multicenter_job"])
def test_jobs_check_columns_with_the_one_helper(job, monkeypatch):
    """The command line's column check is the library's, called with the flag name."""
    module = importlib.import_module(f"spinestats.reports.{job}")
    source = inspect.getsource(module)
    assert "check_column(" in source
    assert "no such column" not in source
    assert not re.search(r"column[^\n]*not found", source)


@pytest.mark.parametrize("args, flag, wrong, closest", [
    (["survival", "{csv}", "--time", "tme", "--event", "event"], "--time", "tme", "time"),
    (["survival", "{csv}", "--time", "time", "--event", "event", "--group", "modalty"], "--group", "modalty", "modality"),
    (["survival", "{csv}", "--time", "time", "--event", "event", "--covariates", "agee"], "--covariates", "agee", "age"),
    (["validate", "{csv}", "--time", "time", "--event", "evnt", "--risk", "age", "--horizon", "12"],
     "--event", "evnt", "event"),
    (["validate", "{csv}", "--time", "time", "--event", "event", "--risk", "ag", "--horizon", "12"],
     "--risk", "ag", "age"),
])
def test_cli_missing_column_names_the_closest_one(tmp_path, capsys, args, flag, wrong, closest):
    csv = tmp_path / "fracture.csv"
    FRACTURE.to_csv(csv, index=False)
    argv = [str(csv) if a == "{csv}" else a for a in args] + ["--out", str(tmp_path / "out")]
    assert cli(*argv) == 2
    err = capsys.readouterr().err
    assert f"column {wrong!r} ({flag}) not in the data; did you mean {closest!r}?" in err
    assert "Traceback" not in err


def test_cli_accuracy_missing_column(tmp_path, capsys):
    csv = tmp_path / "dss.csv"
    DSS.to_csv(csv, index=False)
    assert cli("accuracy", csv, "--score", "dds", "--truth", "reference", "--positive", "malignant",
               "--out", tmp_path / "out") == 2
    assert "column 'dds' (--score) not in the data; did you mean 'dss'?" in capsys.readouterr().err


def test_check_column_lists_columns_when_nothing_is_close():
    with pytest.raises(UsageError, match=r"column 'zzz' \(--group\) not in the data; the columns are 'a', 'b'$"):
        params.check_column(pd.DataFrame({"a": [1], "b": [2]}), "zzz", "group", flag="--group")
    # another case is the likeliest slip in a spreadsheet header
    with pytest.raises(UsageError, match=r"did you mean 'Time'\?$"):
        params.check_column(pd.DataFrame({"Time": [1], "tim": [2]}), "time", "time")


# --- marginal means under any column names (issue 15) ------------------------------

def test_public_mixed_model_marginal_means_with_renamed_columns():
    """ss.mixed_model on renamed columns gives the same means and contrasts as with arm/visit names.

    (The bundled kyphoplasty cohort has one arm; the two-arm case, with the between-arm contrasts, is
    tests/test_pain_mixed_time.py::test_marginal_means_with_renamed_columns_equal_arm_visit_names.)
    """
    from spinestats.analysis.longitudinal.mixed_model import marginal_means

    visits = ["baseline", "1w", "1m", "3m"]
    d = BKP[BKP["visit"].isin(visits)]
    a = ss.mixed_model(d, value="nrs", visit="visit", subject="patient_id", visits=visits, arm="arm")
    ren = d.rename(columns={"arm": "Gruppe", "visit": "Zeitpunkt", "patient_id": "id", "nrs": "Schmerz"})
    b = ss.mixed_model(ren, value="Schmerz", visit="Zeitpunkt", subject="id", visits=visits, arm="Gruppe")
    assert [t.replace("Gruppe", "arm").replace("Zeitpunkt", "visit") for t in b.terms] == list(a.terms)
    ea, eb = marginal_means(a), marginal_means(b)
    assert len(eb.means) == len(visits) and len(eb.vs_baseline) == len(visits) - 1
    for x, y in ((ea.means, eb.means), (ea.vs_baseline, eb.vs_baseline)):
        assert not y.select_dtypes("number").isna().any().any()
        pd.testing.assert_frame_equal(x, y)
