"""The naming pass (issue 15, docs/naming.rst): one name per concept, former names kept readable.

``conf_level`` (never ``level``) and ``p`` (never ``p_value``) in every result
and function of ``spinestats.analysis``; what a public function returns is a
``*Result``; the published ``results.json`` keys of renamed fields stay as
they were (``to_dict()`` writes them), and the former names still work.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pandas as pd
import pytest

import spinestats as ss
import spinestats.analysis
from spinestats.analysis.core.result import Result
from tests.test_api_options import VALID


def _modules():
    for info in pkgutil.walk_packages(spinestats.analysis.__path__, "spinestats.analysis."):
        yield importlib.import_module(info.name)


def _result_classes():
    seen = {}
    for module in _modules():
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Result) and obj is not Result and dataclasses.is_dataclass(obj):
                seen[obj.__qualname__] = obj
    return seen


def test_no_result_field_is_named_level_or_p_value():
    bad = [f"{name}.{f.name}" for name, cls in _result_classes().items() for f in dataclasses.fields(cls)
           if f.name in ("level", "p_value")]
    assert not bad, bad


def test_level_is_only_an_alias_of_conf_level():
    bad = []
    for module in _modules():
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__:
                params = inspect.signature(fn).parameters
                if "level" in params and ("conf_level" not in params or params["level"].default is not None):
                    bad.append(f"{module.__name__}.{name}")
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(VALID))
def test_public_functions_return_result_classes(name):
    data, kw = VALID[name]
    out = getattr(ss, name)(data, **kw)
    assert isinstance(out, Result) and type(out).__name__.endswith("Result"), type(out).__name__


def test_former_names_still_work():
    from spinestats.analysis.competing_risks.finegray import FineGray, FineGrayResult, finegray_predict, predict_fine_gray
    from spinestats.analysis.core.newton import fit_logistic, logistic_fit
    from spinestats.analysis.survival.cox import cox_predict_survival, predict_cox_survival
    from spinestats.analysis.survival.kaplan_meier import KaplanMeier, KaplanMeierResult

    assert KaplanMeier is KaplanMeierResult and FineGray is FineGrayResult
    assert finegray_predict is predict_fine_gray and logistic_fit is fit_logistic
    assert cox_predict_survival is predict_cox_survival


def test_renamed_fields_keep_their_results_json_keys():
    meta = ss.meta_reml(pd.DataFrame({"yi": [0.1, 0.3, 0.5, 0.2], "vi": [0.02, 0.03, 0.05, 0.04]}), yi="yi", vi="vi")
    assert meta.p_value == meta.p
    d = meta.to_dict()
    assert "p_value" in d and "p" not in d and d["p_value"] == meta.p
    k = ss.cohen_kappa(ss.example("readers"), rater1="R1", rater2="R2", conf_level=0.9)
    assert k.level == k.conf_level == 0.9
    assert k.to_dict()["level"] == 0.9 and "conf_level" not in k.to_dict()
    # the former keyword still works, and both at once are refused
    from spinestats.analysis.agreement.kappa import cohen_kappa
    from spinestats.errors import UsageError

    r = ss.example("readers")
    assert cohen_kappa(r["R1"].tolist(), r["R2"].tolist(), level=0.9) == cohen_kappa(
        r["R1"].tolist(), r["R2"].tolist(), conf_level=0.9)
    with pytest.raises(UsageError, match="not both"):
        cohen_kappa(r["R1"].tolist(), r["R2"].tolist(), level=0.9, conf_level=0.8)
