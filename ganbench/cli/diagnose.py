"""`ganbench diagnose SAMPLES --ref REF --out DIR`: mode-collapse and memorisation diagnostics + HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..defaults import DEFAULTS
from ..errors import GanbenchError


def _load_labels(path):
    """Integer labels from a .npy file (or .npz: arr_0 / its only array), one per image."""
    import numpy as np

    if path is None:
        return None
    p = Path(path)
    try:
        obj = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise GanbenchError(f"cannot read labels from {p}: {e}: save them with numpy.save as integers") from None
    if not isinstance(obj, np.ndarray):  # an .npz archive
        with obj:
            if not obj.files:
                raise GanbenchError(f"{p} holds no array: save the labels with numpy.save")
            arr = obj["arr_0"] if "arr_0" in obj.files else obj[obj.files[0]]
    else:
        arr = obj
    return arr


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
    lines += [f"warning: {w}" for w in res.get("warnings", [])]
    return "\n".join(lines)


@click.command("diagnose")
@click.argument("samples", type=click.Path())
@click.option("--ref", default=None, help="Reference images: folder, .npz/.npy, or a name such as cifar10.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for index.html and diagnostics.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON on stdout.")
@click.option("--benchmark", default=None, help="Toy benchmark the samples come from: ring, grid, stacked-digits.")
@click.option("--k", "k_bins", type=click.IntRange(2), default=100, show_default=True, help="NDB bins (K-means).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="K-means / subsampling seed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level of the per-bin and per-class tests.")
@click.option("--quantile", type=click.FloatRange(0, 1, max_open=True), default=0.01, show_default=True,
              help="Duplicate / memorisation threshold: this quantile of real-to-real NN distances.")
@click.option("--labels", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Your classifier's labels for the samples (.npy of ints), replacing Inception classes.")
@click.option("--ref-labels", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Your classifier's labels for the reference (.npy of ints).")
@click.option("--weights", type=click.Path(dir_okay=False), default=None, help="Inception weights file.")
@click.option("--resize", type=click.Choice(["tf-legacy", "clean"]), default=DEFAULTS["resize"], show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=DEFAULTS["batch_size"],
              help="Images per batch (default: from the device and its free memory).")
@click.option("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when present).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the feature cache.")
def command(samples, ref, out_dir, as_json, benchmark, k_bins, seed, alpha, quantile, labels, ref_labels,
            weights, resize, batch_size, device, no_cache):
    """Where does SAMPLES fall short of the reference? Bins (NDB), coverage per cluster, classes,
    duplicates, memorisation; writes a self-contained HTML report with --out."""
    from ..diagnose import diagnose

    res = diagnose(samples, ref, out_dir, k_bins=k_bins, seed=seed, alpha=alpha, quantile=quantile,
                   benchmark=benchmark, labels=_load_labels(labels), ref_labels=_load_labels(ref_labels),
                   weights=weights, resize=resize, batch_size=batch_size, device=device, cache=not no_cache)
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    click.echo(_text_table(res))
    if out_dir is not None:
        click.echo(f"report: {Path(out_dir) / 'index.html'}")
