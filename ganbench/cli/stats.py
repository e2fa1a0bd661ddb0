"""`ganbench stats SOURCE -o FILE`: precompute a reference's features and statistics once."""

from __future__ import annotations

import click

from .options import extractor_options


@click.command("stats")
@click.argument("source", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Where to write the statistics (.npz), e.g. reals.ganbench.npz.")
@extractor_options
def command(source, output, weights, resize, batch_size, fast, device, num_workers, no_cache):
    """Compute features and mean/covariance of SOURCE (folder, .npz, .npy or a registered name)."""
    from ..engine import compute_stats

    fs = compute_stats(source, output, weights=weights, resize=resize, batch_size=batch_size, device=device,
                       num_workers=num_workers, use_cache=not no_cache, fast=fast)
    if not fs.meta.get("weights_official", True):
        click.echo("ganbench: warning: computed with NOT the official FID Inception weights "
                   f"(sha256 {fs.meta['weights_sha256'][:16]}...)", err=True)
    click.echo(f"wrote {output}: {fs.n} images, {fs.pool.shape[1]}-d features")
