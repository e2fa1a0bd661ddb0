"""`ganbench eval SAMPLES --ref REF`: score samples; a table on stdout, a JSON record with --json."""

from __future__ import annotations

import click

from ..defaults import DEFAULTS
from .options import extractor_options


@click.command("eval")
@click.argument("samples", type=click.Path())
@click.option("--ref", "ref", default=None, help="cifar10, cifar10-test, a folder/.npz/.npy, or a stats file.")
@click.option("--metrics", default=",".join(DEFAULTS["metrics"]), show_default=True,
              help="Comma-separated metric names (see `ganbench list metrics`).")
@extractor_options
@click.option("--bootstrap", type=click.IntRange(0), default=DEFAULTS["bootstrap"], show_default=True,
              help="Bootstrap resamples for confidence intervals (0: off).")
@click.option("--seed", "bootstrap_seed", type=int, default=DEFAULTS["bootstrap_seed"], show_default=True,
              help="Bootstrap seed.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=DEFAULTS["confidence"], show_default=True)
@click.option("--kid-subsets", type=click.IntRange(1), default=DEFAULTS["kid_subsets"], show_default=True)
@click.option("--kid-subset-size", type=click.IntRange(2), default=DEFAULTS["kid_subset_size"], show_default=True)
@click.option("--is-splits", type=click.IntRange(1), default=DEFAULTS["is_splits"], show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Write the full record here ('-' for stdout instead of the table).")
def command(samples, ref, metrics, weights, resize, batch_size, fast, device, num_workers, no_cache, bootstrap,
            bootstrap_seed, confidence, kid_subsets, kid_subset_size, is_splits, json_path):
    """Score SAMPLES (folder, .npz, .npy) against a reference."""
    from ..engine import evaluate

    result = evaluate(samples, ref, metrics, weights=weights, resize=resize, batch_size=batch_size, device=device,
                      fast=fast, num_workers=num_workers, use_cache=not no_cache, bootstrap=bootstrap,
                      bootstrap_seed=bootstrap_seed, confidence=confidence, kid_subsets=kid_subsets,
                      kid_subset_size=kid_subset_size, is_splits=is_splits)
    if result is None:  # a torchrun rank other than 0: rank 0 prints and writes the record
        return
    for w in result.warnings:
        click.echo(f"ganbench: warning: {w}", err=True)
    for side, described in (("samples", result.provenance["samples"]),
                            ("reference", result.provenance["reference"].get("source") or {})):
        for note in described.get("notes") or ():  # conversions are never silent
            click.echo(f"ganbench: note: {side}: {note}", err=True)
    if json_path == "-":
        click.echo(result.to_json())
        return
    if json_path:
        result.to_json(json_path)
    click.echo(result.table())
