"""The diagnose report's pages: `feature_report` for images, `toy_report` for the toy benchmarks.

Page building blocks are in html.py; figures in figures.py; image grids and provenance in sections.py.
"""

from __future__ import annotations

import html
import json
from typing import Optional

import numpy as np

from . import figures
from .html import (
    _safe,
    _text,
    fmt,
    img,
    kv_table,
    note,
    page,
    png_uri,
    table,
    to_jsonable,
    write_html,
    write_json,
)
from .sections import N_GRID, bin_examples, nn_grid, pair_grid, provenance, sample_grid

__all__ = ["feature_report", "toy_report", "to_jsonable", "write_html", "write_json"]


def feature_report(
    res: dict,
    gen: np.ndarray,
    ref: np.ndarray,
    centroids: np.ndarray,
    gen_images=None,
    ref_images=None,
    n_examples: int = 16,
) -> str:
    """The HTML page for an image (feature-space) diagnosis; `res` still holds the '_' arrays."""
    s = res["summary"]
    nd, bn, mem, dup, cl = res["ndb"], res["bins"], res["memorization"], res["duplicates"], res.get("classes")
    out = []
    if res.get("warnings"):
        out.append("".join(f'<p class="warn">{html.escape(w)}</p>' for w in res["warnings"]))
    out.append("<h2>Summary</h2>" + table(s.items(), ("quantity", "value")))
    out.append(
        f'<p class="note">{_text(res["inputs"].get("samples", "samples"))} vs '
        f"{_text(res['inputs'].get('reference', 'reference'))}; {res['n_gen']} samples, "
        f"{res['n_ref']} reference images, {res['feature_dim']}-d features.</p>"
    )

    out.append("<h2>Bins (NDB, Richardson &amp; Weiss 2018)</h2>")
    out.append(
        note(
            "The reference features are split into K clusters (K-means); each bin's share of samples is "
            "compared with its share of reference images by a two-proportion z-test. About alpha*K bins "
            "differ by chance; many more means modes are dropped (under-represented) or favoured (over)."
        )
    )
    out.append(_safe(lambda: img(png_uri(figures.bin_proportions(nd)), "bin proportions"), "bin plot"))
    out.append(
        kv_table(
            nd,
            (
                "k",
                "alpha",
                "ndb",
                "ndb_over_k",
                "expected_ndb_if_same",
                "js_divergence_bits",
                "fit_split",
                "min_expected_count",
            ),
        )
    )
    sig = sorted(nd["over_represented"] + nd["under_represented"], key=lambda b: -abs(nd["z"][b]))
    out.append(
        table(
            [
                (
                    b,
                    nd["proportions_ref"][b],
                    nd["proportions_gen"][b],
                    nd["z"][b],
                    "over" if nd["z"][b] > 0 else "under",
                )
                for b in sig
            ],
            ("bin", "reference", "generated", "z", "direction"),
            "none: no bin differs significantly",
        )
    )
    if "_gen_bins" in res:
        out.append(
            _safe(lambda: bin_examples(nd, res["_gen_bins"], res["_ref_bins"], gen_images, ref_images), "bin examples")
        )

    out.append("<h2>Coverage and recall per bin</h2>")
    out.append(
        note(
            "Coverage: share of a bin's reference images whose 5-NN ball holds a sample (Naeem et al. "
            "2020). Recall: share inside some sample's 3-NN ball (Kynkaanniemi et al. 2019). "
            "Unreached bins are parts of the data the generator never produces."
        )
    )
    out.append(_safe(lambda: img(png_uri(figures.per_bin_coverage(bn, nd)), "per-bin coverage"), "coverage plot"))
    out.append(kv_table(bn, ("coverage", "recall", "k_coverage", "k_recall")))
    out.append(f"<p>Unreached bins (no reference point covered): {fmt(bn['unreached_bins'] or 'none')}</p>")

    out.append("<h2>Feature space projection (PCA of the reference)</h2>")
    out.append(_safe(lambda: img(png_uri(figures.projection(gen, ref, centroids, nd)), "PCA projection"), "projection"))

    out.append("<h2>Memorisation</h2>")
    out.append(
        note(
            "A sample is flagged when it is closer to its nearest reference image than all but "
            f"{mem['quantile']:.0%} of reference images are to their nearest other reference image. "
            "Independent samples are flagged at about that rate; copies always."
        )
    )
    out.append(
        _safe(
            lambda: img(
                png_uri(figures.nn_distances(mem["_d_gen"], mem["_d_real"], mem["threshold"])),
                "nearest-neighbour distances",
            ),
            "distance histogram",
        )
    )
    out.append(
        kv_table(
            mem,
            (
                "quantile",
                "threshold",
                "n_flagged",
                "fraction_flagged",
                "expected_fraction_if_independent",
                "exact_copies",
                "median_nn_distance_gen",
                "median_nn_distance_real",
                "nn_distance_ratio",
            ),
        )
    )
    worst = mem["worst"][:n_examples]

    out.append(
        "<p>Samples closest to a reference image, next to that image:</p>"
        + _safe(lambda: nn_grid(worst, gen_images, ref_images), "image grid")
    )

    out.append("<h2>Duplicates</h2>")
    out.append(
        note(
            "Pairs of samples closer than the same threshold. The rate counts samples that duplicate an "
            "earlier one; the reference rate is for as many reference images. Support estimate: "
            "n(n-1)/(2 pairs), the birthday-paradox reading of Arora &amp; Zhang 2017."
        )
    )
    out.append(
        kv_table(
            dup,
            (
                "threshold",
                "pairs",
                "duplicate_rate",
                "exact_duplicate_rate",
                "reference_subset_size",
                "reference_pairs",
                "reference_duplicate_rate",
                "rate_ratio",
                "support_estimate",
                "support_lower_bound",
                "reference_support_estimate",
            ),
        )
    )
    pairs = dup["closest_pairs"][:n_examples]

    out.append(
        _safe(lambda: pair_grid(pairs, gen_images), "duplicate pairs")
        if pairs
        else '<p class="note">none: no near-duplicate pairs</p>'
    )

    if cl is not None:
        out.append("<h2>Classes</h2>")
        if "_gen_counts" in cl:
            out.append(_safe(lambda: img(png_uri(figures.class_bars(cl)), "class histogram"), "class plot"))
        out.append(
            kv_table(
                cl,
                (
                    "source",
                    "n_classes",
                    "classes_present_gen",
                    "classes_present_ref",
                    "entropy_gen",
                    "entropy_ref",
                    "effective_classes_gen",
                    "effective_classes_ref",
                    "kl_gen_ref",
                    "smoothing",
                    "alpha_per_class",
                ),
            )
        )
        miss = cl["missing"][:30]
        out.append(
            "<p>Missing classes (most common in the reference first):</p>"
            + table(
                [(m["class"], m["name"], m["ref"], m["p_absent_by_chance"], m["significant"]) for m in miss],
                ("class", "name", "reference share", "P(absent by chance)", "significant"),
            )
        )
        out.append(
            "<p>Over-represented classes:</p>"
            + table(
                [(r["class"], r["name"], r["ref"], r["gen"], r["z"]) for r in cl["over_represented"][:30]],
                ("class", "name", "reference", "generated", "z"),
            )
        )

    cond = res.get("conditional")
    if cond is not None:
        out.append("<h2>Classes asked for (conditional model)</h2>")
        out.append(kv_table(cond, ("classes_asked", "hit_rate", "ceiling", "alpha_per_class")))
        out.append(
            "<p>Per class, lowest z first (dropped: hit rate significantly below the ceiling):</p>"
            + table(
                [
                    (r["class"], r["name"], r["n"], r["hit_rate"], r["ceiling"], r["z"], r["dropped"])
                    for r in sorted(cond["per_class"], key=lambda r: r["z"])[:30]
                ],
                ("class", "name", "samples", "hit rate", "ceiling", "z", "dropped"),
            )
        )

    if gen_images is not None:
        out.append("<h2>Generated samples</h2>" + _safe(lambda: sample_grid(gen_images, N_GRID), "sample grid"))
    out.append(provenance(res))
    return page("ganbench diagnose", out)


def toy_report(res: dict, points: np.ndarray, centres: Optional[np.ndarray], ref: Optional[np.ndarray]) -> str:
    """The HTML page for a toy benchmark: scatter plot (2-D benchmarks) or mode histogram, the scores."""
    out = []
    if res.get("warnings"):
        out.append("".join(f'<p class="warn">{html.escape(w)}</p>' for w in res["warnings"]))
    if res["score"].get("mode_counts") is not None and not (
        points is not None and points.ndim == 2 and points.shape[1] == 2
    ):
        out.append(
            _safe(
                lambda: img(
                    png_uri(figures.mode_histogram(res["score"]["mode_counts"], res["benchmark"])), "samples per mode"
                ),
                "mode histogram",
            )
        )
    if points is not None and points.ndim == 2 and points.shape[1] == 2:
        out.append(
            _safe(
                lambda: img(
                    png_uri(
                        figures.toy_scatter(points, centres, ref, res["benchmark"], res["score"].get("mode_counts"))
                    ),
                    "samples and mode centres",
                ),
                "scatter plot",
            )
        )
    flat = {k: v for k, v in res["score"].items() if not str(k).startswith("_") and k != "mode_counts"}
    flat = {k: (json.dumps(to_jsonable(v)) if isinstance(v, (dict, list)) else v) for k, v in flat.items()}
    out.append("<h2>Scores</h2>" + table(flat.items(), ("quantity", "value")))
    if points is not None and points.ndim == 4:
        out.append("<h2>Generated samples</h2>" + _safe(lambda: sample_grid(points, N_GRID), "sample grid"))
    out.append(provenance(res))
    return page(f"ganbench diagnose: {res['benchmark']}", out)
