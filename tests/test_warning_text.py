"""Warnings as sentences (reports/warning_text.py): no Python/JSON text, no rule or column names, no repeats."""

from __future__ import annotations

import dataclasses

from spinestats.data_schemas.labels import Labels
from spinestats.reports.section import Section
from spinestats.reports.warning_text import exclusion_sentences, results_sentences, section_warnings, sentence


@dataclasses.dataclass
class Excl:
    line: int
    reason: str


def test_lists_dicts_rules_and_columns_become_words():
    lab = Labels(["dss"])
    assert sentence("2 rows excluded: required: 'reference' = '' (expected a value (category one of benign, "
                    "malignant)) (lines [5, 9]).", lab) == \
        "2 rows excluded: Histology (reference standard) missing (lines 5 and 9)."
    got = sentence("data 'mc_b': 1 row(s) excluded ({\"out of range: 'size_cm' = '0.0' (expected a value > 0); "
                   "dss_matches_features: 'dss' = 6 (expected DSS 4 from the features (2*size>=5cm))\": 1}).", lab)
    assert got == ("Data 'mc_b': 1 row excluded (Tumour size (cm) = 0.0 out of range (expected a value > 0); "
                   "recorded DSS 6 does not match the features (DSS 4) (1)).")
    assert sentence("lc: 29 event(s) of codes other than 1 are censored (Kaplan-Meier convention)", lab) == \
        "Local control: 29 events of codes other than 1 are censored (Kaplan\u2013Meier convention)."
    assert sentence("univariable model of size_cm not fitted", lab) == "Univariable model of Tumour size (cm) not fitted."
    assert sentence("3 case(s) dropped", lab) == "3 cases dropped."
    assert sentence("1 event(s) of codes other than 1 are censored", lab) == "1 event of codes other than 1 is censored."
    assert sentence("11 row(s) were left out", lab) == "11 rows were left out."
    assert sentence("1 rows excluded: x (lines [7])", lab) == "1 row excluded: x (line 7)."
    assert sentence("2 cutoffs tie: >= 3, >= 5", lab) == "2 cutoffs tie: \u2265 3, \u2265 5."


def test_plan_labels_reach_warnings():
    lab = Labels(["dss"], labels={"reference": "Pathology"}, endpoint_labels={"lc": "Local tumour control"})
    assert sentence("lc: few events", lab) == "Local tumour control: few events."
    ex = [Excl(9, "required: 'reference' = '' (expected a value)"), Excl(5, "required: 'reference' = '' (expected a value)"),
          Excl(7, "out of range: 'size_cm' = '99.0' (expected a value <= 50)")]
    assert exclusion_sentences("site_a", ex, lab) == [
        "Data 'site_a': 2 rows excluded: Pathology missing (lines 5 and 9).",
        "Data 'site_a': 1 row excluded: Tumour size (cm) = 99.0 out of range (expected a value <= 50) (line 7)."]


def test_section_warnings_keep_keys_and_structure_and_drop_repeats():
    sec = Section("s", "S", {"warnings": ["only 3 row(s)", "only 3 rows"], "model": {"warnings": ["dropped ['a', 'b']"]},
                             "rows": [{"warnings": []}], "n": 3}, warnings=("only 3 row(s)", "only 3 rows"))
    out = section_warnings(sec)
    assert out.results == {"warnings": ["Only 3 rows."], "model": {"warnings": ["Dropped a and b."]},
                           "rows": [{"warnings": []}], "n": 3}
    assert out.warnings == ("Only 3 rows.",)
    assert results_sentences({"warnings": "not a list"}) == {"warnings": "not a list"}


def test_exclusion_records_keep_their_structure_and_gain_a_message():
    lab = Labels(["dss"])
    res = results_sentences({"flow": {"exclusions": [
        {"reason": "required: 'reference'", "n": 2, "lines": [9, 5], "centre": "Centre A"},
        {"reason": "out of range, dss_matches_features", "n": 1},
        {"reason": "required: 'size_cm' = '' (expected a value)", "n": 1, "lines": [7]}]},
        "unavailable": [{"analysis": "x", "reason": "no data"}]}, lab)
    rows = res["flow"]["exclusions"]
    assert rows[0] == {"reason": "required: 'reference'", "n": 2, "lines": [9, 5], "centre": "Centre A",
                       "message": "Centre A: 2 rows excluded: Histology (reference standard) missing (lines 5 and 9)."}
    assert rows[1]["message"] == "1 row excluded: a value out of range; recorded DSS does not match its imaging features."
    assert rows[2]["message"] == "1 row excluded: Tumour size (cm) missing (line 7)."
    assert res["unavailable"] == [{"analysis": "x", "reason": "no data"}]  # not an exclusion record: unchanged


def test_design_terms_in_warnings_read_as_labels():
    from spinestats.data_schemas.labels import as_labels
    from spinestats.reports.warning_text import sentence

    bkp = as_labels(None, ["bkp"], strict=False)
    assert sentence("mixed model: design rank deficient; dropped ['armBKP:visit12m'].", bkp) == (
        "Mixed model: design rank deficient; dropped Arm: Balloon kyphoplasty \u00d7 Visit: 12 months.")
    assert sentence("2 visits were missing", bkp) == "2 visits were missing."  # a word is not a term
    fr = as_labels(None, ["fracture"], strict=False)
    assert sentence("term modalitySBRT has no events", fr) == "Term Modality: SBRT has no events."


def test_single_command_results_use_the_command_labels_in_warnings(tmp_path):
    import json

    from spinestats.data_schemas.labels import Labels
    from spinestats.reports.output import OutputDir
    from spinestats.reports.section import Section

    labels = Labels(["bkp"], {"arm.BKP": "BKP arm"})
    section = Section(key="pain", title="Pain", results={"warnings": ["dropped ['armBKP:visit12m']"]})
    with OutputDir(tmp_path / "out") as od:
        od.write_section(section, labels=labels)
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["warnings"] == ["Dropped Arm: BKP arm \u00d7 Visit: 12 months."]


def test_exclusion_reason_has_no_parentheses_inside_parentheses():
    from spinestats.reports.warning_text import reason_words

    text = reason_words("out of range: 'size_cm' = 0.0 (expected a value > 0 cm (the file's values are in mm, "
                        "converted to cm))")
    assert text == ("Tumour size (cm) = 0.0 out of range (expected a value > 0 cm; the file's values are in mm, "
                    "converted to cm)")
