"""`ganbench eval SAMPLES --ref REF`: score samples; a table on stdout, a JSON record with --json.

`ganbench eval OUTPUTS --target TARGETS` scores image-to-image outputs pair by pair (psnr, ssim,
lpips; ganbench/paired.py), plus FID/KID of the outputs against the targets when --metrics names
them: a flag of `eval`, not a verb, since it is the same act with the same options and record.
"""

from __future__ import annotations

import click

from ..defaults import DEFAULTS
from .eval_paired import check_paired_flags, paired
from .options import (
    check_output,
    echo_notes,
    extractor_options,
    json_option,
    parse_metric_options,
    parse_weights_for,
    write_output,
)


@click.command("eval")
@click.argument("samples", type=click.Path())
@click.option(
    "--ref", "ref", default=None, help="cifar10, cifar10-test, a folder/.npz/.npy of images, or a statistics file."
)
@click.option(
    "--train",
    "train",
    default=None,
    help="The model's training set (any form --ref takes), for ct, ct-modified, fld and cas-aug (which need it, with "
    "--ref the held-out test set), and mifid, authpct (copies of it rather than of --ref).",
)
@click.option("--train-key", default=None, help="Array of a multi-array --train .npz to read.")
@click.option(
    "--train-labels",
    default=None,
    metavar="FILE|NAME|folders",
    help="The training set's classes, for cas-aug, in --labels' forms [default: its .npz's `labels` array].",
)
@click.option(
    "--metrics",
    default=None,
    help=f"Comma-separated metric names (see `ganbench list metrics`) [default: {','.join(DEFAULTS['metrics'])}; "
    f"is is left out, with a note, when the Inception weights are pool3 only].",
)
@click.option(
    "--target",
    "target",
    default=None,
    type=click.Path(),
    help="Paired evaluation: the targets (folder: matched to SAMPLES by relative file name; .npz/.npy: "
    "by index) [default metrics then: psnr,ssim,lpips; fid, kid, ... compare the outputs with the "
    "targets as sets]. Conventions: -O paired_channel=rgb|y -O paired_crop=N -O lpips_net=alex|vgg.",
)
@click.option("--target-key", default=None, help="Array of a multi-array --target .npz to read.")
@click.option(
    "--mask",
    "mask",
    default=None,
    type=click.Path(dir_okay=False),
    help="Paired evaluation of inpainting: the hole (.npz with `mask`, or .npy of (N, H, W) booleans); "
    "psnr/ssim/lpips then score the hole only, fid/kid the completed images [default: the --target "
    ".npz's own `mask` when it is one of `ganbench data inpainting`].",
)
@click.option(
    "--lpips-weights",
    default=None,
    metavar="FILE|random",
    help="LPIPS backbone weights (else $GANBENCH_LPIPS_ALEX_WEIGHTS / _VGG_, the cache, torchvision's "
    "official URL); `random`: deterministic random weights, NOT official.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Paired evaluation: also write a self-contained page with each metric's worst pairs side by side.",
)
@click.option(
    "--key", default=None, help="Array of a multi-array SAMPLES .npz to read (default: arr_0 or its only one)."
)
@click.option("--ref-key", default=None, help="Array of a multi-array --ref .npz to read.")
@click.option(
    "--labels",
    default=None,
    metavar="FILE|NAME|folders",
    help="The samples' classes, for intra-fid: a .npy/.npz/.json/.txt file, a .csv of file,label, an array "
    "NAME of the SAMPLES .npz, or `folders` (one subfolder per class) [default: the .npz's `labels` "
    "array, a run's own classes, or class subfolders].",
)
@click.option(
    "--ref-labels",
    default=None,
    metavar="FILE|NAME|folders",
    help="The reference's classes, in the same forms [default: a registered reference's own labels].",
)
@extractor_options
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=DEFAULTS["bootstrap"],
    show_default=True,
    help="Bootstrap resamples of both sets for confidence intervals (0: off).",
)
@click.option(
    "--seed", "bootstrap_seed", type=int, default=DEFAULTS["bootstrap_seed"], show_default=True, help="Bootstrap seed."
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=DEFAULTS["confidence"],
    show_default=True,
    help="Level of the bootstrap confidence intervals.",
)
@click.option(
    "--kid-subsets",
    type=click.IntRange(1),
    default=DEFAULTS["kid_subsets"],
    show_default=True,
    help="KID: number of random subsets averaged (their spread is reported, not an interval).",
)
@click.option(
    "--kid-subset-size",
    type=click.IntRange(1),
    default=DEFAULTS["kid_subset_size"],
    show_default=True,
    help="KID: samples per subset; both sets need at least this many (at least 10; < 100 warns).",
)
@click.option(
    "--is-splits",
    type=click.IntRange(1),
    default=DEFAULTS["is_splits"],
    show_default=True,
    help="IS: number of splits the samples are scored in (the protocol is 10).",
)
@click.option(
    "-O",
    "--option",
    "metric_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any metric's option, e.g. -O prc_k=5 -O kid_seed=0 (see `ganbench list metrics`).",
)
@click.option(
    "--n",
    "n",
    type=click.IntRange(1),
    default=50000,
    show_default=True,
    help="A run folder: how many samples to draw and score.",
)
@click.option("--checkpoint", default="last", show_default=True, help="A run folder: last, best or a step.")
@click.option("--ema/--no-ema", default=None, help="A run folder: G's EMA weights (default: when it has them).")
@click.option(
    "--sample-seed", type=click.IntRange(0), default=0, show_default=True, help="A run folder: sampling seed."
)
@click.option(
    "--classes",
    default=None,
    metavar="uniform|0,3,7",
    help="A conditional run folder: sample these classes in turn, as `ganbench sample --classes` does.",
)
@click.option(
    "--save-features",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.npz",
    help="Also write the samples' features here; the record names them by sha256, so `ganbench "
    "compare` and `ganbench check` can read them back instead of the images.",
)
@json_option
def command(
    samples,
    ref,
    train,
    train_key,
    train_labels,
    target,
    target_key,
    mask,
    lpips_weights,
    html_path,
    metrics,
    key,
    ref_key,
    labels,
    ref_labels,
    weights_for,
    weights,
    resize,
    batch_size,
    fast,
    device,
    num_workers,
    no_cache,
    bootstrap,
    bootstrap_seed,
    confidence,
    kid_subsets,
    kid_subset_size,
    is_splits,
    metric_options,
    n,
    checkpoint,
    ema,
    sample_seed,
    classes,
    save_features,
    json_path,
):
    """Score SAMPLES (folder, .npz, .npy, a statistics file, or a run folder of `ganbench train`,
    which is sampled first) against a reference; with --target, score each output against its target
    (psnr, ssim, lpips; fid/kid of the outputs against the targets when --metrics names them)."""
    from functools import partial

    from ..engine import evaluate as evaluate_samples
    from ..train import evaluate_run
    from ..train.runs import is_run_dir

    check_output(json_path, "record", "--json")
    extra = parse_metric_options(metric_options)
    if classes is not None and not is_run_dir(samples):
        from ..errors import GanbenchError

        raise GanbenchError(
            f"--classes {classes}: {samples} is not a run folder; --classes samples a trained run "
            f"(pass the samples' classes with --labels)"
        )
    check_paired_flags(target, train, html_path, mask)
    if target is not None:
        return paired(
            samples,
            target,
            ref,
            metrics,
            key,
            target_key,
            lpips_weights,
            device,
            batch_size,
            json_path,
            html_path,
            {
                **dict(
                    mask=mask,
                    weights=weights,
                    weights_for=parse_weights_for(weights_for),
                    resize=resize,
                    fast=fast,
                    num_workers=num_workers,
                    use_cache=not no_cache,
                    bootstrap=bootstrap,
                    bootstrap_seed=bootstrap_seed,
                    confidence=confidence,
                    kid_subsets=kid_subsets,
                    kid_subset_size=kid_subset_size,
                    is_splits=is_splits,
                ),
                **extra,
            },
        )  # -O kid_subset_size=... overrides the flag, as unpaired
    evaluate = (
        partial(evaluate_run, n=n, checkpoint=checkpoint, ema=ema, sample_seed=sample_seed, classes=classes)
        if is_run_dir(samples)
        else evaluate_samples
    )
    result = evaluate(
        samples,
        ref,
        metrics,
        weights=weights,
        weights_for=parse_weights_for(weights_for),
        resize=resize,
        batch_size=batch_size,
        device=device,
        fast=fast,
        num_workers=num_workers,
        use_cache=not no_cache,
        key=key,
        ref_key=ref_key,
        ref_labels=ref_labels,
        **({"train": train, "train_key": train_key} if train is not None else {}),
        **({"train_labels": train_labels} if train_labels is not None else {}),
        **({"labels": labels} if labels is not None else {}),
        bootstrap=bootstrap,
        bootstrap_seed=bootstrap_seed,
        confidence=confidence,
        save_features=save_features,
        **({"lpips_weights": lpips_weights} if lpips_weights is not None else {}),  # ppl of a run folder
        **{**dict(kid_subsets=kid_subsets, kid_subset_size=kid_subset_size, is_splits=is_splits), **extra},
    )
    if result is None:  # a torchrun rank other than 0: rank 0 prints and writes the record
        return
    for w in result.warnings:  # once, on stderr; the table leaves them out, the record keeps them
        click.echo(f"ganbench: warning: {w}", err=True)
    echo_notes(
        ("samples", result.provenance["samples"]), ("reference", result.provenance["reference"].get("source") or {})
    )
    write_output(json_path, result.to_json(), "record", table=result.table(warnings=False))
