"""`diagnose`: every mode-collapse / memorisation diagnostic on one pair of sample sets, plus the report.

`diagnose` takes images (paths, arrays, ImageSources), extracts Inception features and calls
`diagnose_features`, which works on any feature arrays (so tests and other extractors can use it).
Toy benchmarks (2-D points, stacked digits) go to `ganbench.toydata.score` instead. The input checks
are in checks.py, each side's features in sides.py, the summary and its warnings in summary.py.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..defaults import DEFAULTS
from ..errors import GanbenchError
from ..metrics.knn import as_features, knn, reuse_row_ids
from . import report
from .bins import coverage_recall_by_bin
from .checks import K_COVERAGE, K_RECALL, check_counts, classes_inputs_ok, conditional_inputs_ok, ndb_split
from .classes import class_histogram, conditional_classes
from .duplicates import duplicates
from .memorization import memorization
from .ndb import assign, fit_bins, ndb_from_bins
from .output import check_out_dir, header
from .sides import count, described, per_image, side
from .summary import summary, warnings_for
from .toy import diagnose_toy, toy_benchmark_for


def _classes(gen_labels, ref_labels, gen_logits, ref_logits, n_gen, n_ref, alpha, class_names):
    """Class histograms from user labels if given, else from the Inception logits, else None."""
    if gen_labels is None and ref_labels is None:
        if gen_logits is None or ref_logits is None:
            return None
        out = class_histogram(gen_logits, ref_logits, alpha=alpha, class_names=class_names)
        out["source"] = "Inception logits (argmax)"
        return out
    classes_inputs_ok(gen_labels, ref_labels, n_gen, n_ref)
    out = class_histogram(gen_labels, ref_labels, alpha=alpha, class_names=class_names)
    out["source"] = "user labels"
    return out


def diagnose_features(
    gen,
    ref,
    out_dir=None,
    *,
    gen_logits=None,
    ref_logits=None,
    gen_labels=None,
    ref_labels=None,
    gen_images=None,
    ref_images=None,
    k_bins: int = 100,
    seed: int = 0,
    alpha: float = 0.05,
    quantile: float = 0.01,
    fit_split: float = 0.5,
    class_names: Optional[Sequence[str]] = None,
    n_examples: int = 16,
    device=None,
    meta: Optional[dict] = None,
    inputs: Optional[dict] = None,
    gen_intended=None,
    ref_true=None,
) -> dict:
    """All diagnostics on feature arrays (N, D) and (M, D); writes the report when `out_dir` is given.

    `gen_intended`: the class each sample was generated for (a conditional model); with the classifier's
    predictions `gen_labels` the classes the model drops are named, against the classifier's recall on the
    reference when `ref_true` (the reference's true labels) and `ref_labels` are given.

    Class histograms use `gen_labels`/`ref_labels` (a classifier's predictions) when given, else the
    argmax of `gen_logits`/`ref_logits`; with neither, that section is left out.  `gen_images` and
    `ref_images` (ImageSource or array, same order as the features) only supply report thumbnails.
    Returns the JSON-ready dict written to diagnostics.json.
    """
    out = check_out_dir(out_dir)
    gen = as_features(gen, "generated features")
    ref = as_features(ref, "reference features")
    with reuse_row_ids():  # gen and ref are hashed once for all the distance passes, not once per pass
        conditional_inputs_ok(gen_intended, ref_true, gen_labels, ref_labels, len(gen), len(ref))
        res = _run_all(
            gen,
            ref,
            gen_logits,
            ref_logits,
            gen_labels,
            ref_labels,
            k_bins,
            seed,
            alpha,
            quantile,
            fit_split,
            class_names,
            n_examples,
            device,
            meta,
            inputs,
            conditional=(gen_intended, ref_true),
        )
    if out is not None:
        html = report.feature_report(res, gen, ref, res.pop("_centroids"), gen_images, ref_images, n_examples)
        res.pop("_gen_bins", None), res.pop("_ref_bins", None)
        report.write_html(html, out / "index.html")
        report.write_json(res, out / "diagnostics.json")
    return report.to_jsonable(res)


def _run_all(
    gen,
    ref,
    gen_logits,
    ref_logits,
    gen_labels,
    ref_labels,
    k_bins,
    seed,
    alpha,
    quantile,
    fit_split,
    class_names,
    n_examples,
    device,
    meta,
    inputs,
    conditional=(None, None),
) -> dict:
    if gen.shape[1] != ref.shape[1]:
        raise GanbenchError(
            f"generated features are {gen.shape[1]}-d but reference features {ref.shape[1]}-d: "
            "extract both with the same network"
        )
    check_counts(len(gen), len(ref))
    classes_inputs_ok(gen_labels, ref_labels, len(gen), len(ref))
    fit_idx, count_idx = ndb_split(len(ref), k_bins, fit_split, seed)
    centroids = fit_bins(ref[fit_idx], k_bins, seed)
    gen_bins = assign(gen, centroids, device=device)
    ref_bins = assign(ref, centroids, device=device)
    res = {
        **header(device),
        "n_gen": len(gen),
        "n_ref": len(ref),
        "feature_dim": gen.shape[1],
        "inputs": inputs or {},
        "meta": meta or {},
        "options": {
            "k_bins": k_bins,
            "seed": seed,
            "alpha": alpha,
            "quantile": quantile,
            "fit_split": fit_split,
            "k_coverage": K_COVERAGE,
            "k_recall": K_RECALL,
        },
    }
    res["ndb"] = ndb_from_bins(gen_bins, ref_bins[count_idx], k_bins, alpha)
    res["ndb"]["fit_split"] = fit_split

    # one leave-one-out pass over the reference serves coverage radii, memorisation and duplicates
    ref_knn = knn(ref, None, K_COVERAGE, device=device)[0]
    res["bins"] = coverage_recall_by_bin(
        gen, ref, ref_bins, k_bins, k_coverage=K_COVERAGE, k_recall=K_RECALL, ref_radii=ref_knn[:, -1], device=device
    )
    res["memorization"] = memorization(
        gen, ref, quantile=quantile, n_worst=max(n_examples, 16), ref_nn=ref_knn[:, 0], device=device
    )
    res["duplicates"] = duplicates(gen, ref, quantile=quantile, seed=seed, ref_nn=ref_knn[:, 0], device=device)

    res["classes"] = _classes(gen_labels, ref_labels, gen_logits, ref_logits, len(gen), len(ref), alpha, class_names)
    intended, ref_true = conditional
    if intended is not None:
        res["conditional"] = conditional_classes(
            intended,
            gen_labels,
            ref_true,
            ref_labels if ref_true is not None else None,
            alpha=alpha,
            class_names=class_names,
        )
    res["summary"] = summary(res)
    res["warnings"] = warnings_for(res, len(gen), len(ref))
    res["_centroids"] = centroids
    res["_gen_bins"], res["_ref_bins"] = gen_bins, ref_bins  # for the report's example images
    return res


# ------------------------------------------------------------------------------------------ images


def _make_extractor(**kw):
    from ..features import InceptionExtractor

    return InceptionExtractor(**kw)


def diagnose(
    samples,
    ref=None,
    out_dir=None,
    *,
    k_bins: int = 100,
    seed: int = 0,
    alpha: float = 0.05,
    quantile: float = 0.01,
    fit_split: float = 0.5,
    benchmark: Optional[str] = None,
    labels=None,
    ref_labels=None,
    weights=None,
    resize: str = DEFAULTS["resize"],
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    device=DEFAULTS["device"],
    cache: bool = True,
    n_examples: int = 16,
    extractor=None,
    num_workers: Optional[int] = None,
    fast: bool = DEFAULTS["fast"],
    key: Optional[str] = None,
    ref_key: Optional[str] = None,
    intended=None,
    ref_true=None,
) -> dict:
    """Diagnose generated `samples` against reference `ref`; write the report to `out_dir` if given.

    `samples`/`ref`: anything `ganbench.evaluate` takes that carries per-image features: a folder,
    .npz/.npy file, uint8 array, ImageSource, a `ganbench stats` file, and for `ref` a registered
    name such as ``cifar10``. With `benchmark` (or 2-D points as samples) the toy benchmark is scored.
    `labels`/`ref_labels`: a classifier's predicted labels (array or .npy/.npz/.json/.txt file),
    replacing the Inception argmax classes. `intended`/`ref_true`: the classes the samples were generated
    for and the reference's true classes (same formats): the classes a conditional model drops are named.
    """
    from ..features.pipeline import cache_mode
    from ..inputs.labels import load_labels
    from ..sides import check_inputs, resolve_reference, resolve_samples

    labels = None if labels is None else load_labels(labels)
    ref_labels = None if ref_labels is None else load_labels(ref_labels)
    intended = None if intended is None else load_labels(intended)
    ref_true = None if ref_true is None else load_labels(ref_true)
    toy = toy_benchmark_for(samples, ref, benchmark)
    if toy is not None:
        return diagnose_toy(toy, samples, out_dir, seed=seed)
    if ref is None:
        raise GanbenchError(
            "no reference given: pass --ref (a folder, .npz/.npy file or a reference name such as cifar10)"
        )
    check_out_dir(out_dir)
    gen_label, gen_obj = resolve_samples(samples, key)
    ref_label, ref_obj = resolve_reference(ref, ref_key)
    per_image(gen_obj, f"samples {gen_label}")
    per_image(ref_obj, f"reference {ref_label}")
    # fail before minutes of feature extraction, not after
    check_counts(count(gen_obj), count(ref_obj))
    ndb_split(count(ref_obj), k_bins, fit_split, seed)
    classes_inputs_ok(labels, ref_labels, count(gen_obj), count(ref_obj))
    conditional_inputs_ok(intended, ref_true, labels, ref_labels, count(gen_obj), count(ref_obj))
    if extractor is None:
        extractor = _make_extractor(weights=weights, resize=resize, device=device, fast=fast)
    use_cache = cache_mode(cache)
    check_inputs(gen_obj, ref_obj, extractors=[extractor], use_cache=use_cache)
    kw = dict(batch_size=batch_size, num_workers=num_workers)
    g, gen_images = side(gen_obj, f"samples {gen_label}", extractor, use_cache, desc="sample features", **kw)
    r, ref_images = side(ref_obj, f"reference {ref_label}", extractor, use_cache, desc="reference features", **kw)
    meta = {
        "features_gen": g.meta,
        "features_ref": r.meta,
        "weights_sha256": g.meta.get("weights_sha256"),
        "weights_official": g.meta.get("weights_official"),
    }
    inputs = {"samples": described(samples, gen_obj), "reference": described(ref, ref_obj)}
    return diagnose_features(
        g.pool,
        r.pool,
        out_dir,
        gen_logits=g.logits,
        ref_logits=r.logits,
        gen_labels=labels,
        ref_labels=ref_labels,
        gen_images=gen_images,
        ref_images=ref_images,
        k_bins=k_bins,
        seed=seed,
        alpha=alpha,
        quantile=quantile,
        fit_split=fit_split,
        n_examples=n_examples,
        device=extractor.device,
        meta=meta,
        inputs=inputs,
        gen_intended=intended,
        ref_true=ref_true,
    )
