"""Running a whole plan: from registry exports to the journal-ready report.

:func:`run_plan` does, in this order, and stops with a clear message at the
first problem, before any analysis starts:

1. read and validate the plan (:func:`spinestats.data_schemas.plan.read_plan`):
   schema version, unknown keys, analysis types and options (closest-name
   suggestions), data names, files that do not exist;
2. refuse an output folder that exists and is not empty (unless ``force``);
3. load every input through :func:`spinestats.data_schemas.loading.load`
   (all problems of all files are reported together).

Then it runs each analysis through its job module's ``run`` (the registry
:data:`JOBS` maps an analysis type to its job), collects the
:class:`~spinestats.reports.section.Section` objects and writes, through
:class:`~spinestats.reports.output.OutputDir` (a temporary folder moved into
place only when everything succeeded):

* ``results.json``: every section's ``results`` under its key, plus
  ``plan_hash``, ``seed``, ``warnings``, ``methods``, ``unavailable``,
  ``reproduction`` (demo) and ``provenance``; its only time-dependent field
  is ``provenance.generated_at``, so the same inputs, plan and seed give the
  same file byte for byte apart from that line;
* ``figures/`` and ``tables/`` (written by the jobs);
* ``methods.md`` and the self-contained ``report.html``.

A job is called as ``analyse(inputs, options, context)``
(:mod:`spinestats.reports.job`): ``inputs`` holds the loaded tables of the
analysis's ``data:`` entries (with their exclusion logs), ``options`` is the
job module's ``OPTIONS`` dataclass filled from the plan entry (checked
before anything runs), and ``context`` carries the run-wide settings (output
folder, seed, formats, style, labels, prespecified criteria).  Nothing is
matched by parameter name.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib
import itertools
import operator
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence, Set as AbstractSet
from pathlib import Path
from typing import Any


from spinestats.data_schemas.plan import AnalysisEntry, OutputOptions, Plan, read_plan
from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.reports.collector import worker_threads
from spinestats.reports.figure_files import FigureTask, collect_figures, figure_executor, render_figure, task_cost
from spinestats.reports.job import ENTRY_CONTEXT, JobContext, JobInput, JobOptions
from spinestats.reports.methods_text import methods_paragraph, software_versions
from spinestats.reports.output import OutputDir, dumps_plain
from spinestats.reports.progress import Reporter
from spinestats.reports.section import Section
from spinestats.reports.warning_text import (exclusion_sentences, numeric_warning, run_warning, section_warnings,
                                             sentences)


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """Where an analysis type's job lives and what it analyses."""

    module: str
    description: str = ""


#: Analysis types of the plan, mapped to their job functions.
JOBS: dict[str, JobSpec] = {
    "table_one": JobSpec("spinestats.reports.table_one_job", description="Table 1 of baseline characteristics"),
    "dss": JobSpec("spinestats.reports.diagnostic_job", description="Dumbbell Scoring System accuracy"),
    "accuracy": JobSpec("spinestats.reports.diagnostic_job", description="diagnostic accuracy of any score"),
    "survival": JobSpec("spinestats.reports.survival_job", description="survival and local control after CIRT"),
    "fracture": JobSpec("spinestats.reports.fracture_job", description="fracture risk after irradiation"),
    "pain": JobSpec("spinestats.reports.pain_job", description="pain after balloon kyphoplasty"),
    "multicenter": JobSpec("spinestats.reports.multicenter_job", description="multicentre validation"),
    "agreement": JobSpec("spinestats.reports.agreement_job", description="reader agreement"),
    "sample_size": JobSpec("spinestats.reports.sample_size_job", description="sample size"),
    "validate": JobSpec("spinestats.reports.validate_job", description="validation of a predicted risk (column mode)"),
}

#: Relative run time of each analysis type without its figures (written as separate items), in tenths of a
#: second of CPU on the demo's cohorts (fracture: the bootstrap of its model); with several workers the
#: longest start first.  Only the order of the work depends on it.
EXPECTED_COST: dict[str, int] = {"fracture": 36, "multicenter": 15, "pain": 12, "survival": 9, "dss": 6, "accuracy": 6,
                                 "table_one": 3, "agreement": 1, "sample_size": 1}

RESERVED_RESULT_KEYS = ("plan_hash", "plan_lock", "seed", "title", "synthetic", "warnings", "methods", "references",
                        "unavailable", "reproduction", "provenance", "schema_version")
RESULTS_SCHEMA_VERSION = 1


def job_function(kind: str) -> Callable[..., Section]:
    """The job of an analysis type, ``analyse(inputs, options, context)`` (UsageError when it cannot be imported)."""
    spec = JOBS[kind]
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name and spec.module.startswith(exc.name):
            raise UsageError(f"analysis '{kind}' is not available in this installation ({spec.module} is missing).") from exc
        raise
    func = getattr(module, "analyse", None)
    if func is None or options_class(kind) is None:
        raise UsageError(f"analysis '{kind}' is not available: {spec.module} has no analyse() and OPTIONS.")
    return func


def options_class(kind: str) -> type[JobOptions] | None:
    """The options dataclass of an analysis type (its module's ``OPTIONS``)."""
    found = getattr(importlib.import_module(JOBS[kind].module), "OPTIONS", None)
    return found if isinstance(found, type) and issubclass(found, JobOptions) else None


def job_options(kind: str) -> tuple[str, ...]:
    """The plan options of an analysis type: its options dataclass's fields and the entry-level settings."""
    opts = options_class(kind)
    return (opts.names() if opts is not None else ()) + ENTRY_CONTEXT


def available_jobs(kinds: Sequence[str] | None = None) -> tuple[dict[str, Callable[..., Section]], dict[str, str]]:
    """Importable jobs and, for the others, why they are not available."""
    ok, missing = {}, {}
    for kind in kinds if kinds is not None else JOBS:
        try:
            ok[kind] = job_function(kind)
        except UsageError as exc:
            missing[kind] = str(exc)
    return ok, missing


def _sha256_path(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode("ascii"))
    return h.hexdigest()


@dataclasses.dataclass(frozen=True)
class LoadedInput:
    """One plan input after loading (``table`` is None for a folder)."""

    name: str
    path: Path
    table: Any
    provenance: dict[str, Any]


def load_inputs(plan: Plan, names: Sequence[str]) -> dict[str, LoadedInput]:
    """Load every data entry in ``names``; report all problems at once."""
    from spinestats.data_schemas.loading import load

    out: dict[str, LoadedInput] = {}
    errors: list[str] = []
    problems: list[Any] = []
    for name in names:
        entry = plan.data[name]
        rel = _display_path(entry.file, plan.folder)
        if entry.file.is_dir():
            out[name] = LoadedInput(name, entry.file, None, {"file": rel, "schema": entry.schema, "sha256": _sha256_path(entry.file),
                                                             "kind": "folder"})
            continue
        try:
            kwargs: dict[str, Any] = {"schema": entry.schema, "mapping": entry.mapping, "sheet": entry.sheet,
                                      "encoding": entry.encoding}
            if entry.exclude_invalid:
                kwargs["exclude_invalid"] = True
            table = load(entry.file, **kwargs)
        except DataError as exc:
            errors.append(f"data '{name}' ({rel}): {exc}")
            problems.extend(getattr(exc, "problems", ()))
            continue
        prov = table.provenance
        out[name] = LoadedInput(name, entry.file, table, {
            "file": rel, "schema": entry.schema, "sha256": prov.sha256, "rows_read": prov.rows_read,
            "rows_kept": prov.rows_kept, "rows_excluded": prov.rows_read - prov.rows_kept,
            "exclusion_reasons": _count_reasons(table.exclusions),
            "warnings": len([p for p in table.problems if p.severity != "error"]),
        })
    if errors:
        raise DataError("the inputs cannot be analysed; nothing was run.\n" + "\n".join(errors), tuple(problems))
    return out


def _count_reasons(exclusions: Sequence[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in exclusions:
        counts[e.reason] = counts.get(e.reason, 0) + 1
    return dict(sorted(counts.items()))


def _display_path(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def entry_labels(plan: Plan, entry: AnalysisEntry, inputs: Mapping[str, LoadedInput]):
    """The display labels of one analysis: its inputs' schemas, mappings and the plan's overrides.

    A plan label or reference naming a column that no input has, a level the
    schema does not allow, or a reference level absent from the data is a
    usage/data error raised here, before any analysis runs.
    """
    cols = [c for i in inputs.values() if i.table is not None for c in i.table.data.columns]
    if any(e.schema is None for e in plan.data.values()):  # columns of schema-less inputs are known only now
        plan.labels_for(extra_variables=cols, strict=True)
    labels = plan.labels_for(entry.data, strict=False)
    for n in entry.data:
        if n in inputs and inputs[n].table is not None:
            labels.check_data(inputs[n].table.data, where=f"plan {plan.path.name}, data '{n}'")
    return labels


def entry_options(options: type[JobOptions], entry: AnalysisEntry, plan_path: str | Path) -> JobOptions:
    """A plan entry's options as the job's options dataclass (UsageError naming the option)."""
    return options.from_mapping({k: v for k, v in entry.options.items() if k not in ENTRY_CONTEXT},
                                f"plan {Path(plan_path).name}, analysis '{entry.key}' ({entry.type})")


def job_call(entry: AnalysisEntry, inputs: Mapping[str, LoadedInput], plan: Plan, context: JobContext
             ) -> dict[str, Any]:
    """The arguments of a job with an options dataclass: its input, options and context."""
    options = options_class(entry.type)
    assert options is not None
    chosen = [inputs[n] for n in entry.data]
    if len(chosen) == 1:
        job_input = JobInput.of(table=chosen[0].table, data=getattr(chosen[0].table, "data", None),
                                paths=[chosen[0].path])
    else:
        job_input = JobInput.of(table={i.name: i.table for i in chosen},
                                data={i.name: getattr(i.table, "data", None) for i in chosen},
                                paths=[i.path for i in chosen])
    overrides = {k: entry.options[k] for k in ENTRY_CONTEXT if k in entry.options}
    context = dataclasses.replace(context, key=entry.key, title=entry.title, **overrides)
    return {"inputs": job_input, "options": entry_options(options, entry, plan.path), "context": context}


def call_job(kind: str, key: str, args: Mapping[str, Any], width: str | float = "single",
             style: Any = None, labels: Any = None) -> tuple[Section, list[str]]:
    """Run one analysis job; its Section and the numerical warnings it raised.

    ``width`` is the plan's journal column preset: every single-column figure
    the job draws gets that width.  When the job's context says the data are
    synthetic, every figure carries the "Synthetic data" note.  A module-level function so that it can
    run in a worker process.
    """
    from spinestats.reports.figure_style import column_width, synthetic_mark
    from spinestats.reports.tables import table_style

    func = job_function(kind)
    synthetic = bool(getattr(args.get("context"), "synthetic", False))
    with warnings.catch_warnings(record=True) as caught, column_width(width), synthetic_mark(synthetic), \
            table_style(style, labels) as written:
        warnings.simplefilter("always")
        try:
            section = func(**args)
        except SpinestatsError as exc:
            raise type(exc)(f"analysis '{key}' ({kind}): {exc}") from exc
    if not isinstance(section, Section):
        raise TypeError(f"job {kind} returned {type(section).__name__}, not a Section")
    section = dataclasses.replace(section, table_records=tuple(section.table_records) + tuple(written))
    text, numeric = sort_warnings((w.category, str(w.message)) for w in caught)
    return with_sentences(section, text), sorted(numeric)


#: warnings raised while an analysis runs that say nothing about its numbers (see :func:`sort_warnings`):
#: (category, pattern its message starts with)
NOT_NUMERICAL: tuple[tuple[type[Warning], str], ...] = (
    (Warning, r"Glyph \d+ .*missing from font"),
    (RuntimeWarning, r"More than \d+ figures have been opened"),
    (ResourceWarning, ""),
)


def sort_warnings(caught: Iterable[tuple[type[Warning], str]]) -> tuple[list[str], set[str]]:
    """The warnings raised while an analysis ran or its figures were written, as (category, message):
    the sentences of its section (a label too long for its figure, ``FigureTextWarning``) and its
    numerical warnings (``"Category: message"``), the same whichever process raised them.

    Neither is Matplotlib's "Glyph ... missing from font", which comes from a layout pass drawn
    before the figure's CJK font is chosen (the saved figure has the glyphs; the figure checks
    verify that), nor its "More than 20 figures have been opened", raised when the session (a
    notebook, a test run) holds that many pyplot figures as the analysis makes one, nor a
    ``ResourceWarning``: a library leaving a font file open for the garbage collector (as
    Matplotlib 3.11 on Python 3.13 does), or any object the collector finalises while a figure is
    written.  None of them says anything about the numbers, and ``results.json`` would otherwise
    depend on what the process held before the analysis ran.
    """
    from spinestats.reports.placement import FigureTextWarning

    text: list[str] = []
    numeric: set[str] = set()
    for category, message in caught:
        if issubclass(category, FigureTextWarning):
            text.append(message)
        elif not any(issubclass(category, kind) and re.match(pattern, message) for kind, pattern in NOT_NUMERICAL):
            numeric.add(f"{category.__name__}: {message}")
    return text, numeric


def with_sentences(section: Section, text: Sequence[str]) -> Section:
    """``section`` with the sentences ``text`` after its own warnings, each once."""
    if not text:
        return section
    said = list(section.warnings)
    return dataclasses.replace(section, warnings=tuple(said + [t for t in dict.fromkeys(text) if t not in said]))


def call_job_deferred(kind: str, key: str, args: Mapping[str, Any], width: str | float = "single",
                      style: Any = None, labels: Any = None
                      ) -> tuple[Section, list[str], list[FigureTask], tuple[float, float]]:
    """:func:`call_job`, handing the figures over to be written elsewhere (the third item); the last
    item is the wall and CPU seconds it took in the process that ran it (for ``--verbose``)."""
    start, cpu = time.perf_counter(), time.process_time()
    with collect_figures() as tasks:
        section, numeric = call_job(kind, key, args, width, style, labels)
    return section, numeric, list(tasks), (time.perf_counter() - start, time.process_time() - cpu)


#: what every plan's analyses import (tables, figures, the runner): a new pool worker imports them first
WARM_UP = ("spinestats.reports.tables", "spinestats.reports.figure_style", "spinestats.reports.section_tables")


def warm_up(modules: Sequence[str]) -> None:
    """Import ``modules`` (run first in a new pool worker, while the main process loads the inputs;
    the worker has the settings of :func:`spinestats.reports.collector.pool_worker_setup`), then
    freeze what the imports built.

    Between tasks the pool's worker runs a full garbage collection once a second (joblib's loky,
    when psutil is not installed: the usual case); frozen, the modules, classes and functions of
    pandas, SciPy and Matplotlib are no longer walked by each one (1.2 s of CPU over the demo).
    What the analyses and figures build afterwards is collected as before.
    """
    import gc

    for name in modules:
        importlib.import_module(name)
    gc.freeze()


def _run_parallel(todo: Sequence[tuple[AnalysisEntry, dict[str, Any]]], workers: int, width: str | float,
                  tstyle: Any, labels_by_key: Mapping[str, Any], reporter: Reporter, *, executor: Any = None,
                  tables: tuple[Path, Sequence[str], OutputOptions, bool]) -> list[tuple[Section, list[str]]]:
    """Run a plan's analyses on ``workers`` processes: this one and ``workers - 1`` pool workers
    (:class:`~spinestats.reports.work_sharing.WorkQueue`).

    The longest analyses start first (:data:`EXPECTED_COST`).  As each finishes, its figures are
    written on the same processes (largest first); once its figures are written and every analysis
    before it in the plan is in place, its files are moved into the report folder
    (:func:`place_section`, in the plan's order, so names are given as with one worker; in this thread,
    between items) and its tables are written in every format (:func:`complete_table_formats`;
    ``tables`` = root, formats, style, synthetic).  The outcomes keep the order of ``todo``; the warnings raised while writing a figure
    join its analysis's numerical warnings, as they do with one worker.
    """
    from spinestats.reports.work_sharing import WorkQueue

    root, formats, style, synthetic = tables
    pool = executor if executor is not None else figure_executor(workers)
    calls = []
    for entry, args in todo:
        args = dict(args)
        # the analyses themselves run side by side instead; a worker reports nothing (quiet)
        args["context"] = dataclasses.replace(args["context"], workers=1, reporter=None)
        calls.append((entry.type, entry.key, args, width, tstyle, labels_by_key[entry.key]))
    done: dict[int, tuple[Section, list[str]]] = {}
    raised: dict[int, set[str]] = {i: set() for i in range(len(todo))}
    sentences: dict[int, dict[int, list[str]]] = {i: {} for i in range(len(todo))}  # by figure, while written
    drawing: dict[int, int] = {}  # figures of an analysis not yet written
    placed = [0]  # analyses (in plan order) whose files are in place

    def table_call(i: int, light: bool) -> tuple[Any, ...]:
        section = done[i][0]
        if light:  # only the tables are needed where they are written: no results to send
            section = dataclasses.replace(section, results={})
        return (section, root, formats, style, labels_by_key[todo[i][0].key], synthetic)

    def work(item: tuple[Any, ...], in_pool: bool) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The function of an item and its arguments (a table item sent to the pool carries no results)."""
        if item[0] == "analysis":
            return call_job_deferred, calls[item[1]]
        if item[0] == "figure":
            return render_figure, (item[2],)
        return complete_table_formats, table_call(item[1], in_pool)

    def run_here(item: tuple[Any, ...]) -> Any:
        func, args = work(item, False)
        return func(*args)

    def submit(item: tuple[Any, ...]) -> Any:
        func, args = work(item, True)
        return pool.submit(func, *args)

    def finished(item: tuple[Any, ...], result: Any) -> None:
        kind, i = item[0], item[1]
        if kind == "tables":
            section, numeric = done[i]
            done[i] = (dataclasses.replace(section, tables=result.tables, table_records=result.table_records),
                       numeric)
            return
        if kind == "figure":  # what writing it raised is sorted as if the analysis had written it
            text, numeric = sort_warnings(result)
            raised[i].update(numeric)
            sentences[i][item[3]] = text
            drawing[i] -= 1
            if drawing[i] == 0:  # its sentences in the order its figures were saved, whichever finished first
                done[i] = (with_sentences(done[i][0], [t for k in sorted(sentences[i]) for t in sentences[i][k]]),
                           *done[i][1:])
        else:
            section, numeric, tasks, (seconds, cpu) = result
            done[i] = (section, numeric)
            drawing[i] = len(tasks)
            for k, task in enumerate(tasks):
                queue.add(("figure", i, task, k), (1, task_cost(task)))
            entry = todo[i][0]
            reporter.done(f"{entry.key} ({entry.type})", seconds, cpu, "in the process that ran it; its figures follow")
            reporter.advance(entry.key)

    def place_ready() -> bool:
        """Move the files of every finished analysis whose predecessors are in place, and queue its tables.
        In this thread only (between items), so that nothing it warns joins an analysis running here."""
        added = False
        while True:
            with queue.lock:
                j = placed[0]
                if j >= len(todo) or drawing.get(j) != 0:
                    return added
                placed[0] += 1
                section = done[j][0]
            section = place_section(section, todo[j][0].key, root, labels_by_key[todo[j][0].key])
            with queue.lock:
                done[j] = (section, *done[j][1:])
            queue.add(("tables", j), (0, len(section.tables)))
            added = True

    def run_placing(item: tuple[Any, ...]) -> Any:
        place_ready()
        return run_here(item)

    queue = WorkQueue(run_placing, submit, workers - 1, finished)
    for i, (entry, _) in enumerate(todo):  # longest analyses first (results keep the plan's order)
        queue.add(("analysis", i), (2, EXPECTED_COST.get(entry.type, 1)))
    reporter.log(f"- running {len(todo)} analyses on {workers} processes ...")
    queue.run()
    while place_ready():  # the analyses that finished last: their tables
        queue.run()
    out = []
    for i in range(len(todo)):
        section, numeric = done[i]
        out.append((section, sorted(set(numeric) | raised[i]) if raised[i] else numeric))
    return out


def place_section(section: Section, key: str, root: Path, labels: Any) -> Section:
    """A finished job's section in the report folder: every warning a sentence (once), its files
    moved from its scratch folder (:func:`_move_outputs`), the tables made from its results."""
    from spinestats.reports.section_tables import results_tables

    section = section_warnings(section, labels)
    section = _move_outputs(section, root / ".jobs" / key, root, key)
    return results_tables(dataclasses.replace(section, key=key), root)


def _move_outputs(section: Section, scratch: Path, root: Path, key: str) -> Section:
    """Move the files a job wrote in its scratch folder into the report folder.

    Each job writes into its own scratch folder, so two analyses of the same
    type cannot overwrite each other's files: a file whose path is already
    taken is renamed ``<key>_<name>``.  Returns the section with its figure
    and table paths relative to ``root``.
    """
    moved: dict[Path, Path] = {}
    for f in sorted(p for p in scratch.rglob("*") if p.is_file()):
        rel = f.relative_to(scratch)
        target = rel if not (root / rel).exists() else rel.with_name(f"{key}_{rel.name}")
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), str(root / target))
        moved[rel] = target

    def remap(paths: Sequence[Path | str]) -> tuple[Path, ...]:
        out = []
        for p in paths:
            p = Path(p)
            rel = p.relative_to(scratch) if p.is_absolute() and p.is_relative_to(scratch) else p
            out.append(moved.get(rel, rel))
        return tuple(out)

    return dataclasses.replace(section, figures=remap(section.figures), tables=remap(section.tables))


def complete_table_formats(section: Section, root: Path, formats: Sequence[str],
                           style: OutputOptions | None = None, labels: Any = None, synthetic: bool = False) -> Section:
    """Write every table of a job in all of the plan's table formats, formatted by its ``output.style``.

    See :func:`spinestats.reports.tables.complete_tables`: one Table per
    table, formatted once; CSV at full precision; HTML (the report), XLSX,
    DOCX, Markdown and LaTeX show the same strings.
    """
    from spinestats.reports.tables import TableStyle, complete_tables

    style = style or OutputOptions()
    tstyle = TableStyle(style.p_style, style.ci_style, style.digits, getattr(style, "paper", "a4"))
    tables, records = complete_tables(section.tables, section.table_records, root, formats, tstyle, labels,
                                      key=section.key, synthetic=synthetic)
    return dataclasses.replace(section, tables=tuple(tables), table_records=tuple(records))


def check_plan(plan_path: str | Path, allow_missing: bool = False, kinds: Sequence[str] | None = None
               ) -> tuple[Plan, dict[str, Callable[..., Section]], dict[str, str]]:
    """Read the plan, checking analysis types and options against the jobs.

    Returns the plan, the job functions, and the analyses (by key) that
    cannot run with the reason: a job that is not installed or a missing input.
    Without ``allow_missing`` either of those is a UsageError instead.
    ``kinds``: the analysis types the plan uses, when already known (only
    their jobs are imported); by default every job is.
    """
    funcs, missing_jobs = available_jobs(kinds)
    known: dict[str, Sequence[str] | None] = dict.fromkeys(JOBS)  # types the plan does not use: not checked
    known.update({k: job_options(k) for k in funcs})
    known.update({k: None for k in missing_jobs})
    plan = read_plan(plan_path, analyses=known, check_files=not allow_missing)
    unavailable: dict[str, str] = {}
    for a in plan.analyses:
        opts = options_class(a.type) if a.type in funcs else None
        if opts is not None:  # types and required options, before anything runs
            entry_options(opts, a, plan_path)
        if a.key in RESERVED_RESULT_KEYS:
            raise UsageError(f"plan {plan_path}: the analysis key '{a.key}' is reserved in results.json; choose another `key:`.")
        if a.type in missing_jobs:
            if not allow_missing:
                raise UsageError(f"plan {plan_path}: {missing_jobs[a.type]} Nothing was run.")
            unavailable[a.key] = missing_jobs[a.type]
            continue
        absent = [n for n in a.data if not plan.data[n].file.exists()]
        if absent:  # only reachable with allow_missing: read_plan refuses missing files otherwise
            unavailable[a.key] = "input " + ", ".join(f"'{n}' ({plan.data[n].file.name})" for n in absent) + " is not bundled"
    return plan, funcs, unavailable


def lock_status(plan: Plan) -> dict[str, Any]:
    """Whether the plan has a lock file beside it and still matches it.

    A changed plan is not refused (the analysis may be legitimately
    exploratory) but reported as a plan deviation in the warnings.
    """
    from spinestats.data_schemas import plan_lock

    path = plan_lock.default_lock_path(plan.path)
    if not path.is_file():
        return {"locked": False}
    try:
        lock = plan_lock.read_lock(path)
    except DataError as exc:
        return {"locked": False, "deviation": f"the lock file {path.name} cannot be read ({exc})"}
    out = {"locked": True, "lock_file": path.name, "locked_at": lock.get("locked_at"), "locked_hash": lock["plan_hash"],
           "matches": lock["plan_hash"] == plan.sha256}
    if not out["matches"]:
        out["deviation"] = (f"the plan was changed after it was locked at {lock.get('locked_at')} (hash now {plan.sha256[:12]}..., "
                            f"locked {lock['plan_hash'][:12]}...); results are exploratory")
    else:
        changed = plan_lock.changed_files(plan.path, lock)
        if changed:
            out["matches"] = False
            out["deviation"] = (f"a file the plan refers to changed after it was locked at {lock.get('locked_at')} "
                                f"({'; '.join(changed)}); results are exploratory")
    return out


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_DELIMITERS = re.compile(r'["\n,]')
_NOT_PLAIN = re.compile(r'["\n,|]| $')


def _whole_values(text: str) -> set[str]:
    """Every whole value of ``text``: from the start, a '"', a line end, a ',' or a '| ' to the nearest
    '"', line end, ',', ' |' or the end (JSON strings, CSV and Markdown cells), plus longer pieces that
    cannot equal an ID without '|'."""
    pieces = _DELIMITERS.split(text)
    values = set(pieces)
    for piece in [x for x in pieces if "|" in x]:  # Markdown cells
        values.add(piece.split(" |", 1)[0])
        start = piece.find("| ")
        while start >= 0:
            values.add(piece[start + 2:].split(" |", 1)[0])
            start = piece.find("| ", start + 1)
    return values


@dataclasses.dataclass(frozen=True)
class KnownIdentifiers:
    """The raw IDs of one ID column of an input, as :func:`scan_identifiers` looks for them."""

    label: str  #: "input:column", as the refusal names it
    ids: frozenset[str]  #: the IDs of 5+ characters
    odd: re.Pattern[str] | None  #: the IDs holding a delimiter, as one pattern (None when there is none)


def known_identifiers(inputs: Mapping[str, LoadedInput]) -> list[KnownIdentifiers]:
    """The raw patient/case IDs (5+ characters) of every input, read once for all the outputs a run scans."""
    known = []
    for inp in inputs.values():
        if inp.table is None:
            continue
        for col in ("patient_id", "case_id"):
            if col not in inp.table.data.columns:
                continue
            values = inp.table.data[col].dropna().astype(str).to_numpy()  # in row order: read faster than a set
            if min(map(len, values), default=5) < 5:
                values = [v for v in values if len(v) >= 5]
            joined = "\x00".join(values) + "\x00"
            odd = sorted({v for v in values if _NOT_PLAIN.search(v)}, key=len, reverse=True) \
                if any(c in joined for c in ('"', "\n", ",", "|", " \x00")) else []
            pattern = re.compile(r'(?:^|(?<=["\n,])|(?<=\| ))(?:' + "|".join(map(re.escape, odd))
                                 + r')(?=["\n,]| \||$)') if odd else None
            known.append(KnownIdentifiers(f"{inp.name}:{col}", frozenset(values), pattern))
    return known


def scan_identifiers(text: str | AbstractSet[str], inputs: Mapping[str, LoadedInput],
                     known: Sequence[KnownIdentifiers] | None = None) -> list[str]:
    """Which inputs' raw patient/case IDs (5+ characters) appear as a whole value in ``text``.

    A value counts when it is a whole JSON string, CSV cell or Markdown cell,
    so an ID that is only the start of a longer text does not.  The text's
    values are cut out once and looked up in a set of IDs; an ID holding a
    delimiter (rare) is searched for with a pattern.  ``text`` may also be a set
    of texts, each scanned on its own (:func:`json_strings`).  ``known`` is
    :func:`known_identifiers` of ``inputs`` when the caller scans several texts.
    """
    if known is None:
        known = known_identifiers(inputs)
    texts = [text] if isinstance(text, str) else text
    values: set[str] | None = None
    found = []
    for k in known:
        if not k.ids:
            continue
        if values is None:  # a line end is a delimiter: the values of the texts one a line are those of each text
            values = _whole_values(text if isinstance(text, str) else "\n".join(texts))
        odd = k.odd
        if not k.ids.isdisjoint(values) or (odd is not None and any(odd.search(t) is not None for t in texts)):
            found.append(k.label)
    return found


def json_strings(value: Any) -> set[str]:
    """Every string of a JSON-safe value (object keys and string values, at any depth), each once.

    :func:`scan_identifiers` of this set finds an ID wherever it is a whole JSON string of the
    value's JSON text (or a CSV/Markdown cell inside one), without writing that text; the numbers,
    which make up nearly all of a large ``results.json``, are never looked at one by one.
    ``value`` is what :func:`~spinestats.analysis.core.result.to_jsonable` returns (string keys;
    dicts, lists, strings, numbers, booleans and None).
    """
    found: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is dict:
            found.update(v)
            members: Any = v.values()
        elif t is list:
            members = v
            if set(map(type, v)) == {dict}:  # records: their keys and values all at once
                found.update(itertools.chain.from_iterable(v))
                members = list(itertools.chain.from_iterable(map(dict.values, v)))
        elif t is str:
            found.add(v)
            continue
        else:
            continue
        kinds = set(map(type, members))
        if str in kinds:
            found.update(itertools.compress(members, map(operator.is_, map(type, members), itertools.repeat(str))))
        if dict in kinds or list in kinds:
            stack.extend(x for x in members if type(x) is dict or type(x) is list)
    return found


@worker_threads
def run_plan(
    plan_path: str | Path,
    out: str | Path,
    *,
    force: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    reporter: Reporter | None = None,
    allow_missing: bool = False,
    synthetic: bool | None = None,
    reproduce: Callable[[Mapping[str, Any], Mapping[str, LoadedInput]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Run every analysis of a plan and write the report folder ``out``.

    Parameters
    ----------
    plan_path : the plan YAML.
    out : output folder (refused when it exists and is not empty, unless ``force``).
    force : replace an existing output folder.
    workers : with more than one, the analyses run side by side in that many
        local processes (each analysis then resamples in one process); the
        results are identical for any number of workers.
    scheduler : a Dask scheduler address: the analyses run one after the
        other here and send their resampling to the cluster.
    reporter : progress display (default: quiet).
    allow_missing : run the analyses that are available and list the others
        as not available (the demo), instead of refusing the plan.
    synthetic : override the plan's ``synthetic`` flag.
    reproduce : function of (results, inputs) giving the ``reproduction`` list (demo).

    Returns
    -------
    The ``results.json`` content.
    """
    reporter = reporter or Reporter(quiet=True)
    started = _now()
    # a plan that cannot be read is refused before the jobs are imported (their options are checked below)
    first_read = read_plan(plan_path, analyses=dict.fromkeys(JOBS), check_files=not allow_missing)
    pool = None
    if workers > 1 and scheduler is None and len(first_read.analyses) > 1:
        # the pool's worker imports what the analyses need while this process imports the jobs and loads the inputs
        pool = figure_executor(workers)
        pool.submit(warm_up, WARM_UP)
    try:
        plan, funcs, missing = check_plan(plan_path, allow_missing=allow_missing,
                                          kinds=sorted({a.type for a in first_read.analyses}))
        synthetic = plan.synthetic if synthetic is None else synthetic
        # every referenced input is loaded (and so validated), even for an analysis that cannot run
        used = [n for n in plan.data if any(n in a.data for a in plan.analyses) and plan.data[n].file.exists()]
        read = [plan.path] + [p for e in plan.data.values() for p in (e.file, e.mapping) if p is not None]
        runnable = [a for a in plan.analyses if a.key not in missing]
        if pool is not None and len(runnable) > 1:
            pool.submit(warm_up, sorted({JOBS[a.type].module for a in runnable}))
        with OutputDir(out, force=force, inputs=read) as od:
            inputs = load_inputs(plan, used)
            run_context = JobContext(
                seed=plan.seed, workers=workers, scheduler=scheduler, figure_formats=plan.output.figure_formats,
                dpis=plan.output.dpi, table_formats=plan.output.table_formats, p_style=plan.output.p_style,
                ci_style=plan.output.ci_style, digits=plan.output.digits, reporter=reporter, plan_hash=plan.sha256,
                prespecified=plan.prespecified, synthetic=bool(synthetic))
            root = od.file(".")
            for folder in ("figures", "tables"):
                (root / folder).mkdir(exist_ok=True)
            sections: list[Section] = []
            unavailable: list[tuple[str, str]] = []
            numeric_warnings: list[str] = []
            todo: list[tuple[AnalysisEntry, dict[str, Any]]] = []
            labels_by_key: dict[str, Any] = {}
            from spinestats.reports.tables import TableStyle

            tstyle = TableStyle(plan.output.p_style, plan.output.ci_style, plan.output.digits, plan.output.paper)
            for entry in plan.analyses:
                if entry.key in missing:
                    unavailable.append((entry.key, missing[entry.key]))
                    continue
                scratch = root / ".jobs" / entry.key
                scratch.mkdir(parents=True)
                labels_by_key[entry.key] = entry_labels(plan, entry, inputs)
                todo.append((entry, job_call(entry, inputs, plan, dataclasses.replace(
                    run_context, out_dir=scratch, labels=labels_by_key[entry.key]))))
            parallel = workers > 1 and scheduler is None and len(todo) > 1
            outcomes: list[tuple[Section, list[str]]] = []
            tables = (root, plan.output.table_formats, plan.output, bool(synthetic))
            with reporter.steps(len(todo), "analyses"):
                if parallel:
                    # the sections come back with their files in place and their tables written
                    outcomes = _run_parallel(todo, int(workers), plan.output.width, tstyle, labels_by_key, reporter,
                                             executor=pool, tables=tables)
                else:
                    for entry, args in todo:
                        with reporter.step(f"{entry.key} ({entry.type})"):
                            outcomes.append(call_job(entry.type, entry.key, args, plan.output.width, tstyle,
                                                     labels_by_key[entry.key]))
            for (entry, _), (section, numeric) in zip(todo, outcomes):
                if numeric:
                    numeric_warnings.append(numeric_warning(entry.title or section.title, numeric))
                if not parallel:
                    section = place_section(section, entry.key, root, labels_by_key[entry.key])
                    section = complete_table_formats(section, root, plan.output.table_formats, plan.output,
                                                     labels_by_key[entry.key], synthetic=synthetic)
                if section.key != entry.key:
                    section = dataclasses.replace(section, key=entry.key)
                if entry.title:
                    section = dataclasses.replace(section, title=entry.title)
                sections.append(section)

            shutil.rmtree(root / ".jobs", ignore_errors=True)
            run_warnings: list[str] = []
            lock = lock_status(plan)
            if lock.get("deviation"):
                run_warnings.append(f"plan deviation: {lock['deviation']}")
            for name, inp in inputs.items():  # the rows each input lost at loading, by reason, with their lines
                if inp.table is not None and inp.table.exclusions:
                    run_warnings += exclusion_sentences(name, inp.table.exclusions, plan.labels_for([name], strict=False))
            for key, why in unavailable:
                run_warnings.append(f"analysis '{key}' was not run: {why}")
            run_warnings.extend(numeric_warnings)
            run_warnings = sentences(run_warnings)
            report_warnings = list(run_warnings)
            versions = software_versions(figures=any(sec.figures for sec in sections))
            methods = methods_paragraph(sections, seed=plan.seed, versions=versions, synthetic=synthetic)
            results: dict[str, Any] = {
                "schema_version": RESULTS_SCHEMA_VERSION,
                "title": plan.title,
                "synthetic": synthetic,
                "plan_hash": plan.sha256,
                "seed": plan.seed,
            }
            for sec in sections:
                results[sec.key] = sec.results
            if reproduce is not None:
                results["reproduction"] = reproduce(results, inputs)
            results["warnings"] = list(dict.fromkeys(run_warnings + [run_warning(s.title, w) for s in sections
                                                                     for w in s.warnings]))
            results["unavailable"] = [{"analysis": k, "reason": why} for k, why in unavailable]
            results["methods"] = methods.paragraph
            results["references"] = list(methods.references)
            results["plan_lock"] = lock
            results["provenance"] = {
                "plan": plan.path.name,
                "plan_hash": plan.sha256,
                "seed": plan.seed,
                "inputs": {k: v.provenance for k, v in inputs.items()},
                "versions": versions,
                "generated_at": _now(),
            }
            from spinestats.analysis.core.result import to_jsonable

            plain = to_jsonable(results)
            text = dumps_plain(plain)
            # results.json is scanned by its strings (its numbers cannot be a whole JSON string), the tables whole
            written = [("results.json", json_strings(plain))] + [
                (p.relative_to(root).as_posix(), p.read_text(encoding="utf-8", errors="replace"))
                for p in sorted((root / "tables").glob("*")) if p.suffix in (".csv", ".md", ".tex")]
            known = known_identifiers(inputs)
            for name, content in written:
                leaked = scan_identifiers(content, inputs, known)
                if leaked:
                    raise RuntimeError(f"raw identifiers ({', '.join(leaked)}) would be written to {name}; refusing. "
                                       "A job must pseudonymise patient IDs in per-patient output.")
            od.write_text("results.json", text)
            od.write_text("methods.md", methods.markdown())
            provenance = dict(results["provenance"], started_at=started, finished_at=_now())
            from spinestats.reports.html_report import render_report

            html_text = render_report(
                title=plan.title, root=root, sections=sections, methods=methods, provenance=provenance,
                warnings=report_warnings, reproduction=results.get("reproduction"), synthetic=synthetic,
                unavailable=unavailable, table_style=tstyle,
            )
            od.write_text("report.html", html_text)
        return results
    except BaseException:
        if pool is not None:  # a refused plan, bad data, a failed analysis or Ctrl-C: stop the workers now
            pool.shutdown(wait=False, kill_workers=True)
        raise
