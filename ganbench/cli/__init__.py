"""The `ganbench` command: a thin click layer over the library.

Each sub-command lives in its own module and only parses options, calls the library, and prints.
"""

from __future__ import annotations

import sys
import warnings

import click

from ..errors import GanbenchError
from ..version import __version__


class _Group(click.Group):
    """Turns GanbenchError into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        previous, warnings.formatwarning = warnings.formatwarning, _one_line  # one line, not a source location
        try:
            return super().invoke(ctx)
        except GanbenchError as e:
            click.echo(f"ganbench: error: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("ganbench: interrupted", err=True)
            sys.exit(130)
        finally:
            warnings.formatwarning = previous


def _one_line(message, category, filename, lineno, line=None) -> str:
    return f"ganbench: warning: {message}\n"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, package_name="ganbench")  # version.py, the one place it is written
def cli():
    """Evaluate generative image models (FID, IS, KID, precision/recall/density/coverage) and train the
    reference GANs they are compared with."""


def _add_commands():
    from importlib import import_module

    for mod in (
        "eval",
        "compare",
        "check",
        "stats",
        "fetch",
        "listing",
        "diagnose",
        "data",
        "train",
        "sample",
        "leaderboard",
    ):
        try:
            m = import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as e:  # a sub-command not written yet
            if e.name != f"{__name__}.{mod}":
                raise
            continue
        cli.add_command(m.command)


_add_commands()


def main():
    cli(prog_name="ganbench")
