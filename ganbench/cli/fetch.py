"""`ganbench fetch NAME [--from PATH]`: put a reference data set's archive into the cache."""

from __future__ import annotations

import click


@click.command("fetch")
@click.argument("name")
@click.option("--from", "from_path", type=click.Path(), default=None, metavar="PATH",
              help="Import an archive downloaded elsewhere (checked against its pinned md5) "
                   "instead of downloading.")
def command(name, from_path):
    """Download (or import with --from) the archive behind reference NAME, e.g. cifar10.

    Prints the cached archive's path.  The archive's md5 is checked before it is used.
    """
    from ..inputs.references import fetch_archive, import_archive

    path = import_archive(name, from_path) if from_path else fetch_archive(name)
    click.echo(str(path))
