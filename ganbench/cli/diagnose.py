"""`ganbench diagnose SAMPLES --ref REF --out DIR`: mode-collapse and memorisation diagnostics + HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import check_output, extractor_options, json_option, parse_weights_for, write_output


def _text_table(res: dict) -> str:
    if "benchmark" in res:
        rows = [(k, v) for k, v in res["score"].items() if not isinstance(v, (list, dict))]
        title = f"toy benchmark {res['benchmark']}"
    else:
        rows = list(res["summary"].items())
        title = f"{res['n_gen']} samples vs {res['n_ref']} reference images"
    width = max(len(k) for k, _ in rows)

    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return "-" if v is None else str(v)

    lines = [title] + [f"  {k:<{width}}  {fmt(v)}" for k, v in rows]
    return "\n".join(lines)


@click.command("diagnose")
@click.argument("samples", type=click.Path())
@click.option(
    "--ref", default=None, help="Reference: folder, .npz/.npy, a `ganbench stats` file, or a name such as cifar10."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for index.html and diagnostics.json.",
)
@json_option
@click.option("--benchmark", default=None, help="Toy benchmark the samples come from: ring, grid, stacked-digits.")
@click.option("--k", "k_bins", type=click.IntRange(2), default=100, show_default=True, help="NDB bins (K-means).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="K-means / subsampling seed.")
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of the per-bin and per-class tests.",
)
@click.option(
    "--quantile",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.01,
    show_default=True,
    help="Duplicate / memorisation threshold: this quantile of real-to-real NN distances.",
)
@click.option(
    "--labels",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your classifier's labels for the samples (.npy/.npz of ints, a JSON list, or one per line).",
)
@click.option(
    "--ref-labels",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your classifier's labels for the reference, in the same formats.",
)
@click.option(
    "--intended",
    type=click.Path(dir_okay=False),
    default=None,
    help="The class each sample was generated for (a conditional model; e.g. the labels of `ganbench "
    "sample --classes`), with --labels: names the classes the model drops.",
)
@click.option(
    "--ref-true",
    type=click.Path(dir_okay=False),
    default=None,
    help="The reference's true labels, with --ref-labels: the classifier's recall per class is the "
    "ceiling each class's hit rate is tested against.",
)
@click.option("--key", default=None, help="Array of a multi-array SAMPLES .npz to read.")
@click.option("--ref-key", default=None, help="Array of a multi-array --ref .npz to read.")
@extractor_options
def command(
    samples,
    ref,
    out_dir,
    json_path,
    benchmark,
    k_bins,
    seed,
    alpha,
    quantile,
    labels,
    ref_labels,
    intended,
    ref_true,
    key,
    ref_key,
    weights_for,
    weights,
    resize,
    batch_size,
    fast,
    device,
    num_workers,
    no_cache,
):
    """Where does SAMPLES fall short of the reference? Bins (NDB), coverage per cluster, classes,
    duplicates, memorisation; writes a self-contained HTML report with --out."""
    from ..diagnose import diagnose

    check_output(json_path, "diagnostics", "--json")
    res = diagnose(
        samples,
        ref,
        out_dir,
        k_bins=k_bins,
        seed=seed,
        alpha=alpha,
        quantile=quantile,
        benchmark=benchmark,
        labels=labels,
        ref_labels=ref_labels,
        weights=parse_weights_for(weights_for).get("inception-v3-compat", weights),
        resize=resize,
        batch_size=batch_size,
        device=device,
        cache=not no_cache,
        num_workers=num_workers,
        fast=fast,
        key=key,
        ref_key=ref_key,
        intended=intended,
        ref_true=ref_true,
    )
    for w in res.get("warnings", []):
        click.echo(f"ganbench: warning: {w}", err=True)
    table = _text_table(res) + (f"\nreport: {Path(out_dir) / 'index.html'}" if out_dir is not None else "")
    write_output(json_path, json.dumps(res, indent=2), "diagnostics", table=table)
