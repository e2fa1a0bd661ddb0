"""Options shared by several commands; their defaults come from ganbench.defaults."""

from __future__ import annotations

import click

from ..defaults import DEFAULTS


def extractor_options(f):
    f = click.option("--weights", type=click.Path(dir_okay=False), default=None,
                     help="Inception weights file (else $GANBENCH_INCEPTION_WEIGHTS, the cache, the official URL).")(f)
    f = click.option("--resize", type=click.Choice(["tf-legacy", "clean"]), default=DEFAULTS["resize"],
                     show_default=True, help="tf-legacy: torch-fidelity/pytorch-fid protocol; clean: clean-fid's.")(f)
    f = click.option("--batch-size", type=click.IntRange(1), default=DEFAULTS["batch_size"],
                     help="Images per batch (default: from the device and its free memory).")(f)
    f = click.option("--fast", is_flag=True, default=DEFAULTS["fast"],
                     help="CUDA only: allow TF32 (faster; not the fp32 reference protocol, and marked so).")(f)
    f = click.option("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when present).")(f)
    f = click.option("--workers", "num_workers", type=click.IntRange(0), default=None,
                     help="Image decoding processes (default: automatic).")(f)
    f = click.option("--no-cache", is_flag=True, help="Neither read nor write the feature cache.")(f)
    return f
