"""A label too long for its figure is a sentence of its section in a plan run, not a numerical warning."""

import dataclasses
import sys
import types
import warnings

import pytest

from spinestats.reports import plan_runner
from spinestats.reports.job import JobOptions
from spinestats.reports.placement import wrap_label
from spinestats.reports.section import Section


def _job_with_a_long_label(**_):
    wrap_label("Kyphoplasty", 4, figure="pain trajectory")  # one word longer than the width: cannot fit
    warnings.warn("overflow encountered in exp", RuntimeWarning)
    warnings.warn("unclosed file <_io.BufferedReader name='DejaVuSans.ttf'>", ResourceWarning)
    return Section(key="pain", title="Pain", results={}, warnings=("2 rows excluded.",))


def _register(monkeypatch, kind: str, analyse) -> None:
    """A job of type ``kind`` whose analysis is ``analyse``, for this test only."""
    fake = types.ModuleType(f"fake_{kind}_job")
    fake.OPTIONS = dataclasses.make_dataclass("FakeOptions", [], bases=(JobOptions,), frozen=True)
    fake.analyse = analyse
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setitem(plan_runner.JOBS, kind, plan_runner.JobSpec(fake.__name__))


def test_figure_text_warning_goes_to_the_section(monkeypatch):
    _register(monkeypatch, "pain", _job_with_a_long_label)
    section, numeric = plan_runner.call_job("pain", "pain", {})
    assert section.warnings[0] == "2 rows excluded."
    assert len(section.warnings) == 2
    assert "figure 'pain trajectory'" in section.warnings[1] and "'Kyphoplasty'" in section.warnings[1]
    assert numeric == ["RuntimeWarning: overflow encountered in exp"]  # not the ResourceWarning either


def test_wrap_label_warns_only_when_a_word_cannot_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wrap_label("Local control", 8, figure="km") == "Local\ncontrol"
    with pytest.warns(UserWarning, match="too long for the figure"):
        assert wrap_label("Kyphoplasty", 4, figure="km") == "Kyph\nopla\nsty"


def test_what_writing_a_figure_raises_is_sorted_as_in_one_process():
    """With two processes a figure is written after its analysis returned: what writing it raised is
    sorted by the same rule (a sentence of the section, a numerical warning, or neither), so results do
    not depend on the number of workers; a ResourceWarning from an object the garbage collector
    finalises during the write is none of the analysis's business."""
    from spinestats.reports.placement import FigureTextWarning

    caught = [(FigureTextWarning, "figure 'km': the label 'Kyphoplasty' is too long"),
              (ResourceWarning, "unclosed file <_io.BufferedReader name='/tmp/other-test.csv'>"),
              (UserWarning, "Glyph 33145 (\\N{CJK UNIFIED IDEOGRAPH-8179}) missing from font(s) DejaVu Sans."),
              (RuntimeWarning, "overflow encountered in exp"),
              (FigureTextWarning, "figure 'km': the label 'Kyphoplasty' is too long")]
    text, numeric = plan_runner.sort_warnings(caught)
    assert text == [caught[0][1], caught[0][1]]
    assert numeric == {"RuntimeWarning: overflow encountered in exp"}
    section = Section(key="km", title="KM", results={}, warnings=("2 rows excluded.",))
    assert plan_runner.with_sentences(section, text).warnings == ("2 rows excluded.", caught[0][1])
    assert plan_runner.with_sentences(section, []) is section


def _job_with_two_figures(context, **_):
    from spinestats.reports.figure_style import journal_figure, save_figure

    for stem in ("first", "second"):
        fig, ax = journal_figure("single")
        ax.plot([0, 1], [0, 1])
        save_figure(fig, context.out_dir / "figures", stem, formats=("png",), dpis=(72,))
    return Section(key="km", title="KM", results={}, warnings=("2 rows excluded.",))


class _HereAndNow:
    """A stand-in for the pool: runs what it is given at once, in the thread that gives it (the queue's
    feeder thread, beside the main thread)."""

    def submit(self, func, *args):
        import concurrent.futures

        future = concurrent.futures.Future()
        future.set_result(func(*args))
        return future


def _written(task):
    """What writing a figure raised, the first figure written last (it takes longer)."""
    import time

    from spinestats.reports.placement import FigureTextWarning

    if task.stem == "first":
        time.sleep(0.3)
    return [(FigureTextWarning, f"figure '{task.stem}': a label is too long"),
            (ResourceWarning, "unclosed file <_io.BufferedReader name='/tmp/x.ttf'>"),
            (RuntimeWarning, "overflow encountered in exp")]


def test_with_two_workers_what_writing_figures_raises_is_sorted_and_in_saving_order(tmp_path, monkeypatch):
    """The two figures are written side by side, the second finishing first: the section's sentences
    come in the order the figures were saved, and the numerical warnings are sorted as one process sorts them."""
    from spinestats.data_schemas.plan import AnalysisEntry, OutputOptions
    from spinestats.reports.job import JobContext
    from spinestats.reports.progress import Reporter

    _register(monkeypatch, "km", _job_with_two_figures)
    monkeypatch.setattr(plan_runner, "render_figure", _written)
    scratch = tmp_path / ".jobs" / "km"
    scratch.mkdir(parents=True)
    todo = [(AnalysisEntry("km", "km", (), {}), {"context": JobContext(out_dir=scratch, key="km")})]
    pool = _HereAndNow()
    [(section, numeric)] = plan_runner._run_parallel(
        todo, 2, "single", None, {"km": None}, Reporter(quiet=True), executor=pool,
        tables=(tmp_path, ("csv",), OutputOptions(), False))
    assert section.warnings == ("2 rows excluded.", "Figure 'first': a label is too long.",
                                "Figure 'second': a label is too long.")  # (as sentences)
    assert numeric == ["RuntimeWarning: overflow encountered in exp"]
