"""`ganbench check SAMPLES --ref REF --baseline BASELINE [limits]`: exit 0 when every limit holds,
1 when one regresses beyond noise, 2 for usage errors and bad input."""

from __future__ import annotations

import sys

import click

from ..defaults import DEFAULTS
from ..errors import GanbenchError
from .compare import engine_kwargs, gate_options
from .options import check_output, extractor_options, json_option, parse_metric_options, write_output


def _pairs(values, option: str) -> dict:
    out = {}
    for text in values:
        key, sep, number = text.partition("=")
        try:
            out[key.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep:
            raise GanbenchError(f"{option} {text}: expected METRIC=NUMBER, e.g. {option} fid=1.0")
    return out


@click.command("check")
@click.argument("samples")
@click.option("--ref", default=None, help="cifar10, a folder/.npz/.npy of images, or a statistics file.")
@click.option(
    "--baseline",
    default=None,
    help="The previous model: samples, a run folder, or a record written with `ganbench eval --save-features`.",
)
@click.option(
    "--max-fid-increase", type=float, default=None, metavar="D", help="Fail when FID rises by more than D beyond noise."
)
@click.option(
    "--max-kid-increase", type=float, default=None, metavar="D", help="Fail when KID rises by more than D beyond noise."
)
@click.option("--min-precision", type=float, default=None, metavar="P", help="Fail when precision is surely below P.")
@click.option("--min-recall", type=float, default=None, metavar="R", help="Fail when recall is surely below R.")
@click.option("--min-coverage", type=float, default=None, metavar="C", help="Fail when coverage is surely below C.")
@click.option(
    "--max-increase",
    multiple=True,
    metavar="METRIC=D",
    help="Any lower-is-better metric, or one best at 0 (ct, fld-gap: its |value|): fail when it rises by more "
    "than D beyond noise.",
)
@click.option(
    "--max-decrease",
    multiple=True,
    metavar="METRIC=D",
    help="Any higher-is-better metric: fail when it falls by more than D beyond noise.",
)
@click.option("--min", "minimum", multiple=True, metavar="METRIC=V", help="Fail when METRIC is surely below V.")
@click.option(
    "--max",
    "maximum",
    multiple=True,
    metavar="METRIC=V",
    help="Fail when METRIC is surely above V (|METRIC| for one best at 0, such as ct).",
)
@click.option(
    "--alpha",
    type=float,
    default=DEFAULTS["gate_alpha"],
    show_default=True,
    help="Error rate: limits are judged on (1 - alpha) intervals.",
)
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Write a JUnit XML report here.")
@click.option(
    "--summary",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).",
)
@gate_options
@extractor_options
@json_option
def command(
    samples,
    ref,
    baseline,
    max_fid_increase,
    max_kid_increase,
    min_precision,
    min_recall,
    min_coverage,
    max_increase,
    max_decrease,
    minimum,
    maximum,
    alpha,
    junit,
    summary,
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
    """Fail (exit 1) when SAMPLES regress against --baseline beyond sampling noise."""
    from ..gates.check import check, junit_xml, limits_from, summary_md

    for path, what, option in (
        (json_path, "check record", "--json"),
        (junit, "JUnit report", "--junit"),
        (summary, "summary", "--summary"),
    ):
        check_output(path, what, option)
    limits = limits_from(
        max_fid_increase,
        max_kid_increase,
        min_precision,
        min_recall,
        min_coverage,
        _pairs(max_increase, "--max-increase"),
        _pairs(max_decrease, "--max-decrease"),
        _pairs(minimum, "--min"),
        _pairs(maximum, "--max"),
    )
    result = check(
        samples,
        ref,
        baseline,
        limits,
        alpha=alpha,
        bootstrap=bootstrap,
        seed=seed,
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
    write_output(json_path, result.to_json(), "check record", table=result.table())
    for path, text, what, option in (
        (junit, junit_xml(result), "JUnit report", "--junit"),
        (summary, summary_md(result), "summary", "--summary"),
    ):
        if path:
            write_output(path, text.rstrip("\n"), what, option=option)
    sys.exit(0 if result.passed else 1)
