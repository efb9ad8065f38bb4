"""The methods text as a journal prints it: numbered citations in the list's style, placed before the full
stop and compressed into ranges, and journal typography (en dashes, true minus, ≥, τ², I²)."""

from spinestats.reports.methods_text import cite_numbers, methods_paragraph, typeset, typeset_reference
from spinestats.reports.section import Section

LIGHT = "Light RJ. Measures of response agreement for qualitative data. Psychol Bull 1971;76:365-377."
FLEISS = "Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa. Psychol Bull 1969;72:323-327."
COHEN = "Cohen J. Weighted kappa. Psychol Bull 1968;70:213-220."
KM = "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc 1958;53:457-481."


def test_citation_numbers_are_sorted_and_runs_become_ranges():
    assert cite_numbers([17, 8, 9, 10, 11, 12, 13, 14, 15, 16]) == "[8\u201317]"
    assert cite_numbers([4, 3]) == "[3, 4]"
    assert cite_numbers([7, 14, 15, 18, 19, 20, 21, 7]) == "[7, 14, 15, 18\u201321]"


def test_author_year_citations_become_numbers_and_the_rest_go_before_the_full_stop():
    agree = Section(key="agreement", title="Agreement", results={},
                    methods=("Cohen's kappa with large-sample CIs (Fleiss, Cohen & Everitt 1969) and Light's kappa "
                             "(Light 1971)",), references=(LIGHT, FLEISS, COHEN))
    km = Section(key="survival", title="Survival", results={}, methods=("Survival by the Kaplan-Meier method",),
                 references=(KM, LIGHT))
    m = methods_paragraph([agree, km], versions={"Python": "3", "spinestats": "0"})
    # numbered once, in order of first citation; page ranges with an en dash
    assert m.references == tuple(typeset_reference(r) for r in (LIGHT, FLEISS, COHEN, KM))
    assert m.references[0].endswith("1971;76:365\u2013377.")
    assert m.by_section["agreement"] == ("Cohen's kappa with large-sample CIs [2] and Light's kappa [1, 3].")
    # the survival section cites its own references by their numbers in the one list
    assert m.by_section["survival"] == "Survival by the Kaplan\u2013Meier method [1, 4]."
    assert "(Light 1971)" not in m.by_section["agreement"] and ". [" not in " ".join(m.by_section.values())
    # the whole paragraph (methods.md, results.json) cites by the same numbers, never by author and year
    assert m.paragraph.startswith(m.by_section["agreement"] + " " + m.by_section["survival"] + " Analyses were run")
    m = methods_paragraph([agree], versions={"Python": "3", "spinestats": "0"}, synthetic=True, seed=7)
    assert m.paragraph.startswith("The data are synthetic") and "[2] and Light's kappa [1, 3]." in m.paragraph
    assert "seed 7" in m.paragraph.split("[1, 3].")[1]


def test_methods_typography():
    text = typeset("Kaplan-Meier with Clopper-Pearson CIs; SINS stable 0-6, indeterminate 7-12; NRS 0-10; "
                   "change -0.8; score >= 3 and <= 5; tau^2 and I^2; the youden criterion; log(-log) CIs; "
                   "Newcombe hybrid-score CIs; 2-year survival")
    assert text == ("Kaplan\u2013Meier with Clopper\u2013Pearson CIs; SINS stable 0\u20136, indeterminate 7\u201312; "
                    "NRS 0\u201310; change \u22120.8; score \u2265 3 and \u2264 5; \u03c4\u00b2 and I\u00b2; the Youden "
                    "criterion; log(-log) CIs; Newcombe hybrid-score CIs; 2-year survival")
    sec = Section(key="s", title="S", results={}, methods=("Aalen-Johansen estimator (0-6)",))
    m = methods_paragraph([sec], versions={"Python": "3", "spinestats": "0"})
    assert "Aalen\u2013Johansen estimator (0\u20136)." in m.paragraph and "Aalen\u2013Johansen" in m.by_section["s"]


def test_references_set_page_ranges_with_an_en_dash_and_leave_dois_and_names_alone():
    delong = ("DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated receiver "
              "operating characteristic curves. Biometrics 1988;44:837-845. doi:10.2307/2531595")
    assert typeset_reference(delong).endswith("Biometrics 1988;44:837\u2013845. doi:10.2307/2531595")
    assert "Clarke-Pearson" in typeset_reference(delong)
    harrell = ("Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med 1996;15:361-387. "
               "doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4")
    assert typeset_reference(harrell) == harrell.replace("361-387", "361\u2013387")  # the DOI keeps its hyphens
    assert typeset_reference("Matsumoto Y, et al. Spine 2016;41:E1230-E1236.") == \
        "Matsumoto Y, et al. Spine 2016;41:E1230\u2013E1236."
    assert typeset_reference("COVID-19 after 1-year. BMC 2011;12:77.") == "COVID-19 after 1-year. BMC 2011;12:77."


def test_a_single_commands_methods_md_is_the_paragraph_its_report_prints(tmp_path):
    """spinestats dss writes methods.md as a plan does: journal typography (≥, en dashes), numbered citations
    and the numbered reference list, the same paragraph as its report.html."""
    import html
    import re
    from pathlib import Path

    from click.testing import CliRunner

    from spinestats.reports.cli.main import cli

    from spinestats.data_schemas.examples import cohort_dss

    example = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")  # as the other CLI tests find it
    out = tmp_path / "dss"
    done = CliRunner().invoke(cli, ["dss", str(example), "--out", str(out)])
    assert done.exit_code == 0, done.output
    text = (out / "methods.md").read_text(encoding="utf-8")
    assert text.startswith("# Methods\n\n")
    paragraph = text.split("\n\n")[1]
    assert "size \u2265 5 cm, 2 points" in paragraph and ">=" not in paragraph
    assert "[Matsumoto 2016]" not in paragraph and "[1]" in paragraph
    assert "\n## References\n\n1. Matsumoto Y" in text and "837\u2013845" in text
    shown = re.findall(r'<p class="methods">(.*?)</p>', (out / "report.html").read_text(encoding="utf-8"), flags=re.S)
    assert len(shown) == 2  # the section's methods, then the sentences of no one section
    section, general = (html.unescape(x) for x in shown)
    assert section in paragraph  # the report gives the synthetic-data sentence with the general ones
    synthetic, rest = general.split(". ", 1)
    assert paragraph == f"{synthetic}. {section} {rest}"
