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


class _Group(click.Group):
    """A group whose commands are the modules of ``spinestats.reports.cli``.

    The module ``site_summary.py`` holds the command ``site-summary``: a
    command's module is its name with ``-`` written ``_``, so running one
    command imports only its own module (heavy analysis imports stay lazy).
    """

    def _modules(self) -> list[str]:
        package = importlib.import_module("spinestats.reports.cli")
        return sorted(
            m.name for m in pkgutil.iter_modules(package.__path__)
            if m.name not in _NOT_COMMANDS and not m.name.startswith("_")
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(module.replace("_", "-") for module in self._modules())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = name.replace("-", "_")
        if module not in self._modules():
            return None
        return getattr(importlib.import_module(f"spinestats.reports.cli.{module}"), "command", None)


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
