"""`ganbench sample RUN -n N -o OUT`: seeded samples of a trained run."""

from __future__ import annotations

import json

import click

from .options import check_output, json_option, write_output


@click.command("sample")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-n", "n", type=click.IntRange(1), default=50000, show_default=True)
@click.option("-o", "--out", required=True, type=click.Path(), help="OUT.npz, or a new folder for PNGs.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Sampling seed.")
@click.option("--checkpoint", default="last", show_default=True, help="last, best, or a step number.")
@click.option("--ema/--no-ema", default=None, help="G's EMA weights (default: when the run has them).")
@click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True)
@click.option("--device", default=None)
@click.option("--classes", default=None, metavar="uniform|0,3,7",
              help="A conditional run: sample these classes in turn (uniform: all, equal counts) instead of at "
                   "random; the labels go to OUT.npz's `labels` array, or one subfolder per class.")
@click.option("--truncation", type=float, default=None, metavar="PSI",
              help="StyleGAN2 runs: the truncation trick, w = w_avg + PSI (w - w_avg) (e.g. 0.7; 1: none).")
@json_option
def command(run_dir, n, out, seed, checkpoint, ema, batch_size, device, classes, truncation, json_path):
    """Write N samples of RUN_DIR's generator to OUT; the same run, checkpoint and seed give the same bytes.
    A conditional run's samples are written with their classes."""
    from ..train import sample

    check_output(json_path, "summary", "--json")
    check_output(out if str(out).lower().endswith(".npz") else f"{out}/0.png", "samples", "-o")  # before sampling
    _samples, info = sample(run_dir, n, seed=seed, checkpoint=checkpoint, ema=ema, out=out, batch_size=batch_size,
                            device=device, classes=classes, truncation=truncation)
    labels = info.pop("labels")
    info = {**info, "out": str(out)}
    if labels is not None:
        import numpy as np

        info["class_counts"] = {str(int(c)): int(k) for c, k in zip(*np.unique(labels, return_counts=True))}
    table = (f"{n} samples of {info['baseline']} step {info['step']} ({'EMA' if info['ema'] else 'raw'} G, "
             f"seed {seed}) -> {out}")
    write_output(json_path, json.dumps(info, indent=2, sort_keys=True), "summary", table=table)
