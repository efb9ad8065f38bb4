"""``spinestats predict MODEL.json FILE``: each patient's risk at the model's horizon.

The model is a JSON file written by ``spinestats fracture --save-model``
(validated against ``risk_model.schema.json``; never unpickled).  FILE is
read through the loader with the ``fracture`` schema, but only
``patient_id`` and the columns the model uses are required (the six SINS
components when it uses ``sins_total`` or another SINS-derived term), so a
list of new patients without follow-up can be scored.  Derived covariates
are computed as in the fitting job.  Output: one row per patient with a
pseudonymised ID (HMAC keyed by the study key: ``--id-key``, else
``SPINESTATS_ID_KEY``, else the study's ``.spinestats-key``; see
:mod:`spinestats.data_schemas.privacy`), the predicted risk and its CI -- as
``predictions.csv`` and ``results.json`` in ``--out``, or a single CSV with
``--output``.  The model file is checked by
:func:`spinestats.data_schemas.risk_model.load_risk_model`.  ``--output`` is
written to a temporary file beside it and moved into place, so an
interrupted run never leaves a truncated CSV, and it never replaces an input
of the run (even with ``--force``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from spinestats.data_schemas.schema import get_schema
from spinestats.errors import UsageError


def prediction_schema(model):
    """The ``fracture`` schema with only ``patient_id`` and the model's inputs required."""
    from spinestats.analysis.scores.sins import COMPONENTS
    from spinestats.analysis.scores.sins_covariates import SINS_DERIVED

    base = get_schema("fracture")
    used = {c["column"] for c in model.coding}
    needed = {"patient_id"} | (used - set(SINS_DERIVED))
    if used & set(SINS_DERIVED):
        needed |= set(COMPONENTS)
    unknown = sorted(needed - set(base.names))
    if unknown:
        raise UsageError(f"the model uses column(s) {unknown} that the fracture schema does not define")
    cols = tuple(dataclasses.replace(c, required=c.name in needed) for c in base.columns)
    return dataclasses.replace(base, columns=cols)


@click.command("predict")
@click.argument("model_file", metavar="MODEL.json", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level of the risk's CI.")
@click.option("--id-key", "--key", "key", default=None,
              help="Study key for the pseudonyms (default: $SPINESTATS_ID_KEY, else the study's .spinestats-key).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Output folder.")
@click.option("--output", "output", type=click.Path(path_type=Path), default=None, help="Write one CSV file instead.")
@click.option("--force", is_flag=True, help="Replace an existing output.")
def command(model_file, file, mapping, sheet, level, key, out, output, force) -> None:
    """Predicted risk of fracture by the model's horizon, with its CI, per patient."""
    import pandas as pd

    from spinestats.analysis.prediction.risk_model import model_from_json, predict_risk
    from spinestats.data_schemas.loading import load
    from spinestats.data_schemas.privacy import KEY_ENV, LEGACY_KEY_ENV, LazyKey, pseudonymise
    from spinestats.data_schemas.risk_model import load_risk_model
    from spinestats.analysis.scores.sins_covariates import derive_covariates
    from spinestats.reports.output import OutputDir, check_output_file, escape_frame, write_file_atomically

    if (out is None) == (output is None):
        raise UsageError("give exactly one of --out DIR or --output FILE.csv")
    if not model_file.is_file():
        raise UsageError(f"MODEL.json {model_file}: no such file")
    if not 0 < level < 1:
        raise UsageError(f"--level must be between 0 and 1; got {level}")
    if output is not None:
        check_output_file(output, [model_file, file, mapping], force, option="--output")
    model = load_risk_model(model_file, build=model_from_json)
    lazy = LazyKey(Path(file).resolve().parent, key or os.environ.get(KEY_ENV) or os.environ.get(LEGACY_KEY_ENV))
    table = load(file, schema=prediction_schema(model), mapping=mapping, sheet=sheet, id_key=lazy)
    secret = lazy.get().secret
    data = derive_covariates(table.data)
    pred = predict_risk(model, data, conf_level=level)
    frame = pd.DataFrame({
        "patient": pseudonymise(data["patient_id"], secret),
        "risk": pred.risk, "lower": pred.lower, "upper": pred.upper,
    })
    frame["horizon_months"] = model.horizon
    if output is not None:
        write_file_atomically(output, escape_frame(frame).to_csv(index=False, lineterminator="\n"))
        where = output
    else:
        with OutputDir(out, force=force) as od:
            od.write_csv("predictions.csv", frame)
            od.write_json("results.json", {
                "model": {"type": model.model_type, "horizon": model.horizon, "time_unit": model.time_unit,
                          "terms": list(model.terms), "package_version": model.package_version},
                "n": len(frame), "conf_level": level,
                "ci_method": "delta method (see spinestats.analysis.prediction.risk_model)",
                "predictions": frame.to_dict(orient="records"),
            })
        where = out
    click.echo(f"predict: {len(frame)} patients; risk of fracture by {model.horizon:g} {model.time_unit} in {where}")
