"""`ganbench compare A B [C ...] --ref REF`: metrics of each model, differences against the first with
paired-bootstrap intervals and p-values."""

from __future__ import annotations

import click

from ..defaults import DEFAULTS
from .options import check_output, extractor_options, json_option, parse_metric_options, parse_weights_for, write_output


def gate_options(f):
    """Options `compare` and `check` share: the bootstrap, how a run folder is sampled, the training set."""
    f = click.option("--train-key", default=None, help="Array of a multi-array --train .npz to read.")(f)
    f = click.option(
        "--train",
        default=None,
        help="The models' training set (any form --ref takes), for ct, ct-modified, fld, fld-gap (which need it, "
        "with --ref the held-out set), mifid and authpct; held fixed in the bootstrap.",
    )(f)
    f = click.option("--ref-key", default=None, help="Array of a multi-array --ref .npz to read.")(f)
    f = click.option(
        "--key", default=None, help="Array of each multi-array .npz model to read (default: arr_0 or its only one)."
    )(f)
    f = click.option(
        "--sample-seed", type=click.IntRange(0), default=0, show_default=True, help="A run folder: sampling seed."
    )(f)
    f = click.option("--checkpoint", default="last", show_default=True, help="A run folder: last, best or a step.")(f)
    f = click.option(
        "--n",
        "n",
        type=click.IntRange(1),
        default=10000,
        show_default=True,
        help="A run folder: how many samples to draw.",
    )(f)
    f = click.option(
        "-O",
        "--option",
        "metric_options",
        multiple=True,
        metavar="KEY=VALUE",
        help="Any metric's option (see `ganbench list metrics`).",
    )(f)
    f = click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")(f)
    f = click.option(
        "--bootstrap",
        type=click.IntRange(1),
        default=DEFAULTS["gate_bootstrap"],
        show_default=True,
        help="Paired bootstrap replicates (the reference is resampled once per replicate for all models).",
    )(f)
    return f


def engine_kwargs(
    weights,
    weights_for,
    resize,
    batch_size,
    fast,
    device,
    num_workers,
    no_cache,
    n,
    checkpoint,
    sample_seed,
    key=None,
    ref_key=None,
    train=None,
    train_key=None,
) -> dict:
    return dict(
        weights=weights,
        weights_for=parse_weights_for(weights_for),
        resize=resize,
        batch_size=batch_size,
        fast=fast,
        device=device,
        num_workers=num_workers,
        use_cache=not no_cache,
        n=n,
        checkpoint=checkpoint,
        sample_seed=sample_seed,
        key=key,
        ref_key=ref_key,
        train=train,
        train_key=train_key,
    )


@click.command("compare")
@click.argument("models", nargs=-1, required=True)
@click.option("--ref", default=None, help="cifar10, a folder/.npz/.npy of images, or a statistics file.")
@click.option("--metrics", default="fid,kid,precision,recall", show_default=True, help="Comma-separated metric names.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=DEFAULTS["confidence"], show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md"]),
    default="text",
    show_default=True,
    help="md: Markdown tables, e.g. for a pull-request comment.",
)
@gate_options
@extractor_options
@json_option
def command(
    models,
    ref,
    metrics,
    confidence,
    fmt,
    bootstrap,
    seed,
    metric_options,
    n,
    checkpoint,
    sample_seed,
    key,
    ref_key,
    train,
    train_key,
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
    """Compare MODELS (sample folders, .npz, feature files, run folders, or records written with
    `ganbench eval --save-features`) against one reference: each difference from the first model,
    its interval and p-value from a paired bootstrap."""
    from ..gates import compare

    check_output(json_path, "comparison", "--json")
    result = compare(
        list(models),
        ref,
        metrics,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        options=parse_metric_options(metric_options),
        **engine_kwargs(
            weights,
            weights_for,
            resize,
            batch_size,
            fast,
            device,
            num_workers,
            no_cache,
            n,
            checkpoint,
            sample_seed,
            key,
            ref_key,
            train,
            train_key,
        ),
    )
    write_output(json_path, result.to_json(), "comparison", table=result.table(fmt))
