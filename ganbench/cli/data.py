"""`ganbench data NAME -n N -o OUT [--seed S]`: write a seeded mode-collapse benchmark data set.

.npy holds the samples only; .npz holds them as arr_0 plus their true component / mode as `labels`.

`ganbench data colorize --source IMAGES [--key K] [-n N] -o OUT.npz`: a paired image-to-image data set
(toydata/paired.py) from real images: `inputs` (greyscale) and `targets` (the colour images).
`ganbench data edges --source IMAGES [--key K] [--sigma S] [-n N] -o OUT.npz`: the same with Canny edge maps
(toydata/edges.py, black on white) as `inputs`.

`ganbench data inpainting --source IMAGES [--key K] [--holes centre|random] [--overlap 1] -o OUT.npz`:
inputs with a filled hole, targets, and the hole `mask` (toydata/inpainting.py, Pathak et al. 2016);
`ganbench data inpainting-floor --source PAIRS.npz --fill identity|mean [--train TRAIN.npz] -o OUT.npz`:
the identity-fill or mean-fill outputs, scored by `ganbench eval OUT.npz --target PAIRS.npz`.
`ganbench data sr --scale 2|4 [-n N] [--crop C] -o OUT.npz`: the super-resolution task (toydata/superres.py):
OUT.npz training pairs, OUT-test.npz held-out pairs, OUT-bicubic.npz the bicubic floor's outputs.
`ganbench data unpaired --source IMAGES.npz --key train_images --from CLASS --to CLASS -o OUT.npz`: one
CIFAR-10 class as domain A and another as B (toydata/unpaired.py), by the labels beside the images.
"""

from __future__ import annotations

import click

from ..errors import GanbenchError
from .options import check_output


@click.command("data")
@click.argument("name", required=False)
@click.option(
    "-n",
    "--num",
    "n",
    type=int,
    default=None,
    help="Number of samples [default: the benchmark's protocol, 2500 or 26000].",
)
@click.option("-o", "--output", type=click.Path(), default=None, help="Output file, .npy or .npz.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--list", "list_", is_flag=True, help="List the benchmark data sets and exit.")
@click.option(
    "--source",
    type=click.Path(),
    default=None,
    help="colorize, edges, inpainting: the colour images (folder, .npz or .npy), e.g. cifar10-excerpt.npz.",
)
@click.option(
    "--key", default=None, help="colorize, edges: the array of a multi-array --source .npz (e.g. train_images)."
)
@click.option(
    "--holes",
    type=click.Choice(["centre", "random"]),
    default="centre",
    show_default=True,
    help="inpainting: the central half of the image, or a seeded random rectangle per image.",
)
@click.option(
    "--overlap",
    type=int,
    default=1,
    show_default=True,
    help="inpainting: the region's border left as context (Pathak's overlapPred 4 at 128, 1 at 32).",
)
@click.option(
    "--fill",
    "fill",
    type=click.Choice(["identity", "mean"]),
    default=None,
    help="inpainting-floor: the holed input as it is, or the hole filled with --train's mean colour.",
)
@click.option(
    "--train",
    "train",
    type=click.Path(),
    default=None,
    help="inpainting-floor --fill mean: the training pairs whose targets give the mean colour.",
)
@click.option("--scale", type=int, default=None, help="sr: the upscaling factor, 2 or 4.")
@click.option("--crop", type=int, default=32, show_default=True, help="sr: the high-resolution training crop size.")
@click.option(
    "--from", "from_", default=None, metavar="CLASS", help="unpaired: domain A's CIFAR-10 class (name or 0-9)."
)
@click.option("--to", "to", default=None, metavar="CLASS", help="unpaired: domain B's CIFAR-10 class (name or 0-9).")
@click.option("--sigma", type=float, default=None, help="edges: the Canny Gaussian's sigma in pixels [default: 1].")
def command(name, n, output, seed, list_, source, key, holes, overlap, fill, train, scale, crop, from_, to, sigma):
    """Write benchmark data set NAME (ring, grid, stacked-digits) to a .npy / .npz file, the paired
    data sets `colorize` (greyscale inputs, colour targets), `edges` (Canny edge maps, colour targets) and
    `inpainting` (holed inputs, targets, mask) of --source's images to a .npz, the inpainting floors
    (`inpainting-floor`), or the super-resolution task
    `sr --scale 2|4` (training crops, held-out test images, bicubic floor)."""
    from .. import toydata

    if name != "unpaired" and (from_ is not None or to is not None):
        raise GanbenchError(
            f"--from / --to pick the classes of `ganbench data unpaired`, not of {name}: leave them out"
        )
    if name != "edges" and sigma is not None:
        raise GanbenchError(f"--sigma sets the Canny smoothing of `ganbench data edges`, not of {name}: leave it out")
    if name in ("colorize", "edges", "inpainting"):
        return _paired(name, n, output, source, key, holes=holes, overlap=overlap, seed=seed, sigma=sigma)
    if name == "inpainting-floor":
        return _floor(source, fill, train, output)
    if name == "sr":
        return _superres(n, output, seed, scale, crop)
    if name == "unpaired":
        return _unpaired(output, source, key, from_, to)

    if list_:
        for key, bench in toydata.BENCHMARKS.items():
            click.echo(f"{key:<16}{bench.description}; {bench.kind}, default n {bench.default_n}")
        return
    known = ", ".join(toydata.list_benchmarks())
    if name is None:
        raise GanbenchError(f"no data set name given: give one of {known} (or --list)")
    bench = toydata.BENCHMARKS.get(name)
    if output is None:
        raise GanbenchError(f"no output file: add -o {name}.npy (or .npz to keep the labels)")
    check_output(output, "data set", "-o")
    data, labels = toydata.make(name, n, seed)
    path = toydata.save_dataset(output, data, labels)
    click.echo(f"wrote {len(data)} {name} {bench.kind} (seed {seed}) to {path}")


def _paired(task, n, output, source, key, holes="centre", overlap=1, seed=0, sigma=None):
    from ..toydata import paired

    if source is None:
        raise GanbenchError(
            f"{task} needs colour images: add --source IMAGES (a folder, .npz or .npy; "
            "--key train_images for the CIFAR-10 excerpt)"
        )
    if output is None:
        raise GanbenchError(f"no output file: add -o {task}.npz")
    if sigma is not None and not sigma > 0:
        raise GanbenchError(f"--sigma {sigma}: the Canny Gaussian's sigma is a positive number of pixels (e.g. 1)")
    check_output(output, "data set", "-o")
    images = paired.read_images(source, key, n)
    count = len(images)
    if task == "inpainting":
        from ..toydata import inpainting

        inputs, targets, mask = inpainting.make_inpainting(images, holes, overlap, seed)
        path = inpainting.save_inpainting(output, inputs, targets, mask)
        click.echo(
            f"wrote {count} inpainting pairs ({images.shape[1]}x{images.shape[2]}, {holes} holes, overlap "
            f"{overlap}, seed {seed}) of {source} to {path}"
        )
        return
    inputs, targets = paired.make_pairs(task, images, sigma)
    path = paired.save_pairs(output, inputs, targets)
    how = ""
    if task == "edges":
        from ..toydata import edges

        how = f", Canny sigma {edges.SIGMA if sigma is None else sigma} thresholds {edges.LOW}/{edges.HIGH}"
    click.echo(f"wrote {count} {task} pairs ({images.shape[1]}x{images.shape[2]}{how}) of {source} to {path}")


def _floor(source, fill, train, output):
    from ..toydata import inpainting

    if source is None:
        raise GanbenchError(
            "inpainting-floor needs the pairs to fill: add --source PAIRS.npz (written by `ganbench data inpainting`)"
        )
    if fill is None:
        raise GanbenchError("inpainting-floor: add --fill identity (the holed input) or --fill mean (with --train)")
    if output is None:
        raise GanbenchError(f"no output file: add -o {fill}-fill.npz")
    check_output(output, "outputs", "-o")
    out = inpainting.floor_of_files(source, fill, train)
    path = inpainting.save_outputs(output, out)
    click.echo(f"wrote {len(out)} {fill}-fill outputs of {source} to {path}")


def _superres(n, output, seed, scale, crop):
    from ..toydata import superres

    if scale is None:
        raise GanbenchError("sr needs its factor: add --scale 2 or --scale 4")
    if output is None:
        raise GanbenchError(f"no output file: add -o sr_x{scale}.npz")
    check_output(output, "data set", "-o")
    task = superres.make_task(scale, 2000 if n is None else n, crop, seed)
    train, test, floor = superres.save_task(output, task)
    click.echo(
        f"wrote {len(task['train_targets'])} x{scale} training pairs ({crop}x{crop} crops of "
        f"{', '.join(superres.TRAIN)}) to {train}; the held-out {', '.join(superres.TEST)} "
        f"({superres.TEST_SIZE}x{superres.TEST_SIZE}) to {test}; their bicubic floor to {floor}\n"
        f"score the floor: ganbench eval {floor} --target {test} --target-key targets --metrics psnr,ssim "
        f"-O paired_channel=y -O paired_crop={scale}"
    )


def _unpaired(output, source, key, from_, to):
    from ..toydata import unpaired

    if source is None or from_ is None or to is None:
        raise GanbenchError(
            "unpaired needs --source IMAGES.npz with labels, --from CLASS and --to CLASS (e.g. --source "
            "cifar10-excerpt.npz --key train_images --from automobile --to truck)"
        )
    if output is None:
        raise GanbenchError("no output file: add -o unpaired.npz")
    a, b = unpaired.classes(from_, to)
    check_output(output, "data set", "-o")
    xa, xb = unpaired.from_source(source, key, a, b)
    out = unpaired.save_unpaired(output, xa, xb)
    click.echo(
        f"wrote {len(xa)} {unpaired.CIFAR10[a]} (a) and {len(xb)} {unpaired.CIFAR10[b]} (b) images "
        f"({xa.shape[1]}x{xa.shape[2]}) of {source} to {out}"
    )
