"""`ganbench stats SOURCE -o FILE`: precompute a reference's features and statistics once."""

from __future__ import annotations

import json

import click

from .options import check_output, echo_notes, extractor_options, json_option, parse_weights_for, write_output


@click.command("stats")
@click.argument("source", type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Where to write the statistics (.npz), e.g. reals.ganbench.npz.",
)
@click.option("--key", default=None, help="Array of a multi-array SOURCE .npz to read.")
@click.option("--spatial", is_flag=True, help="Also keep Inception's mixed_6/conv features, so the file serves sFID.")
@click.option(
    "--extractor",
    default="inception-v3-compat",
    show_default=True,
    help="Feature space of the file (see `ganbench list extractors`), e.g. clip for CLIP-FID.",
)
@extractor_options
@json_option
def command(
    source,
    output,
    key,
    spatial,
    extractor,
    weights_for,
    weights,
    resize,
    batch_size,
    fast,
    device,
    num_workers,
    no_cache,
    json_path,
):
    """Compute features and mean/covariance of SOURCE (folder, .npz, .npy or a registered name)."""
    from ..engine import compute_stats

    check_output(json_path, "summary", "--json")
    from ..features.extractors import canonical

    name = canonical(extractor)
    fs = compute_stats(
        source,
        output,
        weights=parse_weights_for(weights_for).get(name, weights),
        extractor=name,
        resize=resize,
        batch_size=batch_size,
        device=device,
        num_workers=num_workers,
        use_cache=not no_cache,
        fast=fast,
        key=key,
        spatial=spatial,
    )
    if fs is None:  # a torchrun rank other than 0: rank 0 writes the file and prints
        return
    if not fs.meta.get("weights_official", True):
        click.echo(
            f"ganbench: warning: computed with NOT the official {name} weights "
            f"(sha256 {fs.meta['weights_sha256'][:16]}...)",
            err=True,
        )
    echo_notes(("source", fs.meta.get("source") or {}))
    summary = {
        "output": str(output),
        "count": fs.n,
        "dims": int(fs.array("pool").shape[1]),
        **{
            k: fs.meta.get(k)
            for k in ("extractor", "weights_sha256", "weights_official", "resize", "dtype", "content_sha256")
        },
    }
    write_output(
        json_path,
        json.dumps(summary, indent=2),
        "summary",
        table=f"wrote {output}: {fs.n} images, {fs.array('pool').shape[1]}-d features",
    )
