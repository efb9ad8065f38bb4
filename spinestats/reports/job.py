"""What every analysis job receives: its input, its options and the run's context.

A job module in ``reports/`` (``survival_job``, ``diagnostic_job``, ...) has

* an options dataclass, a subclass of :class:`JobOptions` named in the
  module's ``OPTIONS``: the analysis options a plan entry or the job's own
  command may set, each with its default;
* ``analyse(inputs: JobInput, options, context: JobContext) -> Section``: the
  job itself, in separate steps (compute, figures, tables, methods);
* ``run(data=None, out_dir=".", **keywords) -> Section``: the same job called
  by keyword, for notebooks and tests (:func:`run_by_keywords`).

``spinestats run`` fills the options from the plan entry
(:meth:`JobOptions.from_mapping`: an unknown option is refused with the
closest name, a value of the wrong type with the option and what it
accepts), and each single command fills them from its flags.  Nothing is
matched by parameter name: renaming an option renames it in the plan, the
keyword form and the dataclass at once, and the plan check follows.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spinestats.errors import UsageError
from spinestats.reports.collector import worker_threads

O = TypeVar("O", bound="JobOptions")


@dataclasses.dataclass(frozen=True)
class JobContext:
    """Run-wide settings of one analysis: where it writes, how it draws and formats, its seed.

    Attributes
    ----------
    out_dir : folder the job writes ``figures/`` and ``tables/`` into.
    key, title : the section's name in ``results.json`` and its heading (``None``: the job's own).
    seed : seed of the resampling (``None``: the job's documented default).
    workers, scheduler : local worker processes, or a Dask scheduler address, for resampling.
    figure_formats, dpis : figure formats and raster resolutions (``None``: the defaults).
    table_formats : table formats the job itself writes (``None``: the defaults).
    p_style, ci_style, digits : the plan's ``output.style``.
    labels : display labels (:class:`~spinestats.data_schemas.labels.Labels`).
    reporter : progress display.
    plan_hash, prespecified : the plan's hash and its prespecified criteria (validation).
    synthetic : the data are synthetic (figures and tables say so).
    """

    out_dir: Path = Path(".")
    key: str | None = None
    title: str | None = None
    seed: int | None = None
    workers: int = 1
    scheduler: str | None = None
    figure_formats: tuple[str, ...] | None = None
    dpis: tuple[int, ...] | None = None
    table_formats: tuple[str, ...] | None = None
    p_style: str = "default"
    ci_style: str = "dash"
    digits: int = 2
    labels: Any = None
    reporter: Any = None
    plan_hash: str | None = None
    prespecified: Mapping[str, Any] | None = None
    synthetic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        for name in ("figure_formats", "dpis", "table_formats"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value) if not isinstance(value, (str, int)) else (value,))

    def seed_or(self, default: int) -> int:
        """The run's seed, or the job's documented default."""
        return default if self.seed is None else int(self.seed)


#: Context fields a plan entry may set for itself (the rest come from the plan's ``output`` and ``seed``).
ENTRY_CONTEXT = ("seed",)


@dataclasses.dataclass(frozen=True)
class JobInput:
    """The data of one analysis: loaded tables (with their exclusion logs), frames and file paths.

    With one input ``table`` is its :class:`~spinestats.data_schemas.loading.LoadedTable` and ``data``
    its DataFrame; with several, both are dicts by data name.  A folder input has no table, only a path.
    """

    table: Any = None
    data: Any = None
    paths: tuple[Path, ...] = ()

    @classmethod
    def of(cls, data: Any = None, table: Any = None, paths: Sequence[str | Path] | str | Path = ()) -> "JobInput":
        """From a LoadedTable, a DataFrame, or dicts of them (the frame is taken from the table when not given)."""
        if data is None and table is not None:
            data = {k: getattr(t, "data", None) for k, t in table.items()} if isinstance(table, Mapping) \
                else getattr(table, "data", None)
        if isinstance(paths, (str, Path)):
            paths = (paths,)
        return cls(table=table, data=data, paths=tuple(Path(p) for p in paths))

    @property
    def frame(self) -> Any:
        """The one DataFrame of a single-input analysis (UsageError when there is none or several)."""
        if self.data is None or isinstance(self.data, Mapping):
            raise UsageError("this analysis needs exactly one data table"
                             + (f"; it was given {len(self.data)}." if isinstance(self.data, Mapping) else "."))
        return self.data

    @property
    def exclusions(self) -> tuple[Any, ...]:
        """Rows the loader excluded (of every input), for the flow and the warnings."""
        tables = self.table.values() if isinstance(self.table, Mapping) else [self.table]
        return tuple(e for t in tables if t is not None for e in getattr(t, "exclusions", ()))


def _closest(name: str, choices: Sequence[str]) -> str:
    import difflib

    hit = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{hit[0]}'?" if hit else ""


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is type(None):
        return "nothing (null)"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple, Sequence, typing.Sequence) or tp in (list, tuple):
        inner = args[0] if args else Any
        plural = {str: "texts", int: "whole numbers", float: "numbers", bool: "true/false values"}
        return f"a list of {plural.get(inner, _describe(inner))}" if inner is not Any else "a list"
    if origin in (dict, Mapping, typing.Mapping) or tp in (dict, Mapping):
        return "a mapping"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a text", Any: "any value",
            Path: "a file path"}.get(tp, getattr(tp, "__name__", str(tp)))


def _fits(value: Any, tp: Any) -> bool:
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple, Sequence, typing.Sequence) or tp in (list, tuple):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            return False
        inner = args[0] if args else Any
        return all(_fits(v, inner) for v in value)
    if origin in (dict, Mapping, typing.Mapping) or tp in (dict, Mapping):
        return isinstance(value, Mapping)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is Path:
        return isinstance(value, (str, Path))
    return isinstance(value, tp) if isinstance(tp, type) else True


@dataclasses.dataclass(frozen=True)
class JobOptions:
    """Base class of a job's options: a frozen dataclass whose fields are the options and their defaults."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The options, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def types(cls) -> dict[str, Any]:
        """Each option's declared type (resolved from the annotations)."""
        import sys

        module = sys.modules.get(cls.__module__)
        return typing.get_type_hints(cls, vars(module) if module else None)

    @classmethod
    def from_mapping(cls: type[O], values: Mapping[str, Any], where: str = "options") -> O:
        """The options from a plan entry or keywords: every unknown name and wrong type refused at once.

        A list given for a tuple-typed option becomes a tuple; an int for a
        float option is accepted as it is.
        """
        names = cls.names()
        hints = cls.types()
        problems = []
        for name, value in values.items():
            if name not in names:
                problems.append(f"unknown option '{name}'.{_closest(name, names)} Known options: {', '.join(names)}.")
            elif not _fits(value, hints.get(name, Any)):
                problems.append(f"option '{name}' expects {_describe(hints[name])}; got {value!r}.")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        problems += [f"option '{m}' is required ({_describe(hints.get(m, Any))})." for m in missing]
        if problems:
            raise UsageError(f"{where}: " + " ".join(problems))
        fixed = {k: tuple(v) if isinstance(v, list) and typing.get_origin(hints.get(k)) is not list else v
                 for k, v in values.items()}
        return cls(**fixed)


def split_keywords(options: type[JobOptions], keywords: Mapping[str, Any], where: str) -> tuple[dict, dict]:
    """Keywords of :func:`run_by_keywords` split into (options, context fields); unknown names refused."""
    context_names = tuple(f.name for f in dataclasses.fields(JobContext))
    opts, ctx, unknown = {}, {}, []
    for name, value in keywords.items():
        if name in options.names():
            opts[name] = value
        elif name in context_names:
            ctx[name] = value
        else:
            unknown.append(name)
    if unknown:
        known = list(options.names()) + list(context_names)
        raise UsageError(f"{where}: " + " ".join(f"unknown argument '{u}'.{_closest(u, known)}" for u in unknown)
                         + f" Options: {', '.join(options.names())}; settings: {', '.join(context_names)}.")
    return opts, ctx


@worker_threads
def run_by_keywords(analyse: Callable[..., Any], options: type[JobOptions], *, data: Any = None, table: Any = None,
                    paths: Sequence[str | Path] = (), out_dir: str | Path = ".", where: str = "run",
                    **keywords: Any) -> Any:
    """Call ``analyse`` with the options and context named by keyword (the job's ``run``).

    Options are type-checked as a plan's are; ``None`` for an option means its
    default.  Context fields (``seed``, ``figure_formats``, ``labels``, ...)
    go to the :class:`JobContext`.  The job computes with the BLAS threads of
    a command line and a pool worker (:func:`~spinestats.reports.collector.worker_threads`),
    so that its numbers are theirs to the last digit.
    """
    opts, ctx = split_keywords(options, {k: v for k, v in keywords.items()}, where)
    opts = {k: v for k, v in opts.items() if v is not None or _fits(None, options.types().get(k, Any))}
    ctx = {k: v for k, v in ctx.items() if v is not None}
    return analyse(JobInput.of(data=data, table=table, paths=paths), options.from_mapping(opts, where),
                   JobContext(out_dir=Path(out_dir), **ctx))
