"""Entry point of the ``spinestats`` command.

Each sub-command lives in its own module of this package and exposes a
``click`` object named ``command``; they are found here, so adding a command
means adding a module.  User errors end with a clear message and an exit code
(0 ok, 1 invalid data, 2 usage), never with a traceback.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback

import click

from spinestats import __version__
from spinestats.errors import SpinestatsError

_NOT_COMMANDS = {"main", "common"}

#: Every command with its one-line help, so that ``spinestats --help`` lists
#: them without importing a single command module (which would pull in pandas,
#: SciPy and matplotlib: seconds of start-up).  A test keeps this table in
#: step with the modules: same names, and each line equal to the command's
#: own short help.
COMMANDS: dict[str, str] = {
    "accuracy": "Accuracy of SCORE against TRUTH: ROC, DeLong CI, cutoffs, optional comparison and bootstrap.",
    "agreement": "Cohen's kappa (weighted), Fleiss' kappa and the six Shrout-Fleiss ICCs.",
    "calculator": "Bedside DSS, SINS (and fracture-risk) calculators in one offline HTML file.",
    "check": "Check FILE against a schema and list every problem.",
    "demo": "Run every analysis on the bundled SYNTHETIC cohorts and write a report to --out.",
    "dss": "DSS accuracy: ROC, DeLong CI, cutoffs, feature table, optional bootstrap validation.",
    "example": "Write the bundled synthetic example NAME (a schema or cohort) to --out.",
    "fracture": "Fracture incidence (crude, competing-risk CIF, Gray's test), risk models and their validation.",
    "init": "Write a commented plan.yaml, mapping templates and empty export templates to FOLDER.",
    "multicenter": "Per-centre sensitivity, specificity, AUC; REML and bivariate pooling; SROC; STARD flow.",
    "pain": "Pain NRS per visit, paired tests, mixed model, responders, two-arm ANCOVA, MI.",
    "plan": "Lock and verify prespecified analysis plans.",
    "pool": "Pool site bundles: per-centre and pooled accuracy, KM and log-rank.",
    "predict": "Predicted risk of fracture by the model's horizon, with its CI, per patient.",
    "run": "Run the analysis PLAN (YAML) and write report.html, figures/, tables/ and results.json to --out.",
    "sample-size": "Sample size: criteria, buderer, auc, kappa, riley.",
    "schema": "Print the data dictionary of schema NAME (dss, cirt, fracture, bkp, readers).",
    "site-summary": "Write an aggregate-only site bundle (counts only) for federated pooling.",
    "survival": "Survival, local control and competing risks (R survival/cmprsk conventions).",
    "validate": "Validate a predicted risk at a horizon: C, AUC(t), Brier(t), calibration, decision curve.",
}


def command_modules() -> list[str]:
    """The modules of ``spinestats.reports.cli`` that hold a command (found on disk, not imported)."""
    package = importlib.import_module("spinestats.reports.cli")
    return sorted(
        m.name for m in pkgutil.iter_modules(package.__path__)
        if m.name not in _NOT_COMMANDS and not m.name.startswith("_")
    )


class _Group(click.Group):
    """A group whose commands are the modules of ``spinestats.reports.cli``.

    The module ``site_summary.py`` holds the command ``site-summary``: a
    command's module is its name with ``-`` written ``_``, so running one
    command imports only its own module (heavy analysis imports stay lazy),
    and listing them imports none (:data:`COMMANDS`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(module.replace("_", "-") for module in command_modules())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = name.replace("-", "_")
        if module not in command_modules():
            return None
        return getattr(importlib.import_module(f"spinestats.reports.cli.{module}"), "command", None)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, from :data:`COMMANDS` (a module missing there is imported)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            text = COMMANDS.get(name)
            if text is None:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=text).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spinestats")
@click.option("--id-key", default=None, metavar="KEY",
              help="Study key for the pseudonyms of patient IDs (default: SPINESTATS_ID_KEY, "
                   "else the .spinestats-key file of the study, created on first use).")
def cli(id_key: str | None) -> None:
    """spinestats: malignant spinal tumour statistics, checked against R.

    Start with `spinestats demo` to see every analysis on the bundled
    synthetic cohorts, or `spinestats check FILE --schema NAME` to see whether
    your registry export is usable.
    """
    if id_key:
        from spinestats.data_schemas.privacy import KEY_ENV, _checked

        os.environ[KEY_ENV] = _checked(id_key, "--id-key")


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with 0 (ok), 1 (invalid data) or 2 (usage)."""
    import gc

    from spinestats.reports.collector import GC_THRESHOLDS, light_imports, one_thread_per_process

    one_thread_per_process()  # before anything imports NumPy (see spinestats.reports.collector)
    stop_light_imports = light_imports(adjust=False)  # (entry(), the console script, adjusts as well)
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        _main(argv)
    finally:  # called in-process (tests, a notebook's ``main([...])``): the caller's thresholds and imports again
        gc.set_threshold(*before)
        stop_light_imports()


def entry() -> None:
    """The ``spinestats`` program (its console script and ``python -m spinestats``): :func:`main`,
    then the process ends without tearing the interpreter down
    (:func:`spinestats.reports.collector.end_process`: exit handlers run, output flushed, the exit
    status kept), which saves 0.3-0.5 s of CPU per command."""
    import gc

    from spinestats.reports.collector import (GC_THRESHOLDS, end_process, exit_status, keep_freed_memory,
                                              light_imports)

    # main() gives the caller's thresholds back when it returns; here they stay until the end, as
    # Python's defaults would first collect every young object of the run on the way out (0.03-0.1 s)
    gc.set_threshold(*GC_THRESHOLDS)
    keep_freed_memory()  # the C allocator keeps freed memory for this process's next blocks
    light_imports()  # for the whole process, Matplotlib's docstrings included (main() then adds nothing)
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exit_status(exc.code)
    end_process(code)


def _main(argv: list[str] | None) -> None:
    try:
        code = cli.main(args=argv, prog_name="spinestats", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except click.ClickException as exc:  # usage errors: unknown option, missing argument
        exc.show()
        sys.exit(2)
    except SpinestatsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours, not the user's: say so plainly
        click.echo(
            f"Internal error ({type(exc).__name__}: {exc}). This is a bug in spinestats; "
            "please report it with the command you ran. Set SPINESTATS_DEBUG=1 to see the traceback.",
            err=True,
        )
        if os.environ.get("SPINESTATS_DEBUG"):
            traceback.print_exc()
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
