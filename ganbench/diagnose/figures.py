"""Matplotlib figures for the diagnose report, each returned as PNG bytes.

Uses the object-oriented Figure API with the Agg canvas, so no pyplot global state or GUI backend
is touched (safe in threads and on headless machines).
"""

from __future__ import annotations

import io
from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

GEN, REF, OVER, UNDER = "#1f77b4", "#9a9a9a", "#d62728", "#ff7f0e"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def bin_proportions(ndb: dict) -> bytes:
    """Bars of generated vs reference proportion per bin, sorted by reference share; significant marked."""
    pg, pr = np.array(ndb["proportions_gen"]), np.array(ndb["proportions_ref"])
    order = np.argsort(-pr, kind="stable")
    x = np.arange(len(order))
    fig = Figure(figsize=(12, 3.8))
    ax = fig.add_subplot()
    ax.bar(x - 0.2, pr[order], 0.4, color=REF, label="reference")
    ax.bar(x + 0.2, pg[order], 0.4, color=GEN, label="generated")
    top = max(pg.max(), pr.max())
    for ix, colour, mark, label in (
        (ndb["over_represented"], OVER, "^", "over-represented"),
        (ndb["under_represented"], UNDER, "v", "under-represented"),
    ):
        pos = np.flatnonzero(np.isin(order, ix))
        if len(pos):
            ax.scatter(pos, np.full(len(pos), top * 1.08), marker=mark, color=colour, label=label, zorder=3)
    ax.set_xlim(-1, len(order))
    ax.set_ylim(0, top * 1.18)
    _bin_ticks(ax, order)
    ax.set_ylabel("proportion")
    ax.set_title(f"NDB = {ndb['ndb']} of K = {ndb['k']} bins differ at alpha = {ndb['alpha']}")
    _legend_below(ax)
    return _png(fig)


def _bin_ticks(ax, order) -> None:
    """Bin ids as tick labels while they fit, else just the rank axis."""
    if len(order) <= 60:
        ax.set_xticks(np.arange(len(order)))
        ax.set_xticklabels([str(b) for b in order], rotation=90, fontsize=7)
        ax.set_xlabel("bin id (sorted by reference proportion)")
    else:
        ax.set_xlabel("bins, sorted by reference proportion")


def _legend_below(ax) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4, fontsize=8, frameon=False)


def per_bin_coverage(bins: dict, ndb: dict) -> bytes:
    """Coverage and recall per bin in the same order as the proportions plot; unreached bins red."""
    pr = np.array(ndb["proportions_ref"])
    order = np.argsort(-pr, kind="stable")
    cov = np.array([np.nan if v is None else v for v in bins["coverage_per_bin"]])[order]
    rec = np.array([np.nan if v is None else v for v in bins["recall_per_bin"]])[order]
    x = np.arange(len(order))
    fig = Figure(figsize=(12, 3.2))
    ax = fig.add_subplot()
    ax.bar(x, cov, 0.8, color=GEN, label="coverage")
    ax.plot(x, rec, "k.", label="recall")
    pos = np.flatnonzero(np.isin(order, bins["unreached_bins"]))
    if len(pos):
        ax.scatter(pos, np.full(len(pos), 0.03), marker="x", color=OVER, zorder=3, label="unreached (coverage 0)")
    ax.set_xlim(-1, len(order))
    ax.set_ylim(0, 1.05)
    _bin_ticks(ax, order)
    ax.set_ylabel("fraction of the bin's\nreference points")
    _legend_below(ax)
    return _png(fig)


def projection(
    gen: np.ndarray,
    ref: np.ndarray,
    centroids: Optional[np.ndarray],
    ndb: Optional[dict],
    seed: int = 0,
    max_points: int = 4000,
) -> bytes:
    """The two sets in the first two principal components of the reference features."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)

    def sub(x):
        return x[rng.choice(len(x), max_points, replace=False)] if len(x) > max_points else x

    pca = PCA(n_components=2, random_state=seed).fit(sub(ref))
    r, g = pca.transform(sub(ref)), pca.transform(sub(gen))
    fig = Figure(figsize=(6.5, 6))
    ax = fig.add_subplot()
    ax.scatter(r[:, 0], r[:, 1], s=4, alpha=0.35, color=REF, label="reference", linewidths=0)
    ax.scatter(g[:, 0], g[:, 1], s=4, alpha=0.35, color=GEN, label="generated", linewidths=0)
    if centroids is not None and ndb is not None:
        c = pca.transform(centroids)
        ax.scatter(c[:, 0], c[:, 1], s=18, marker="x", color="k", label="bin centres")
        for ix, colour, label in (
            (ndb["over_represented"], OVER, "over-represented bin"),
            (ndb["under_represented"], UNDER, "under-represented bin"),
        ):
            if len(ix):
                ax.scatter(c[ix, 0], c[ix, 1], s=60, facecolors="none", edgecolors=colour, label=label)
    ev = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC1 ({ev[0]:.1%} of reference variance)")
    ax.set_ylabel(f"PC2 ({ev[1]:.1%})")
    ax.legend(loc="best", fontsize=8, markerscale=2)
    return _png(fig)


def nn_distances(d_gen: np.ndarray, d_real: np.ndarray, threshold: float) -> bytes:
    """Histogram of sample-to-nearest-reference vs real-to-real nearest-neighbour distances."""
    fig = Figure(figsize=(7, 3.4))
    ax = fig.add_subplot()
    hi = float(np.quantile(np.concatenate([d_gen, d_real]), 0.995)) or 1.0
    edges = np.linspace(0, hi, 60).tolist()
    ax.hist(d_real, edges, density=True, alpha=0.55, color=REF, label="reference to nearest other reference")
    ax.hist(d_gen, edges, density=True, alpha=0.55, color=GEN, label="sample to nearest reference")
    ax.axvline(threshold, color=OVER, ls="--", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("feature distance")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return _png(fig)


def class_bars(classes: dict, top: int = 30) -> bytes:
    """Most frequent classes (in either set), generated vs reference share."""
    cg, cr = classes["_gen_counts"], classes["_ref_counts"]
    pg, pr = cg / cg.sum(), cr / cr.sum()
    order = np.argsort(-(pg + pr), kind="stable")[:top]
    x = np.arange(len(order))
    fig = Figure(figsize=(12, 3.4))
    ax = fig.add_subplot()
    ax.bar(x - 0.2, pr[order], 0.4, color=REF, label="reference")
    ax.bar(x + 0.2, pg[order], 0.4, color=GEN, label="generated")
    ax.set_xticks(x)
    ax.set_xticklabels([str(c) for c in order], rotation=90, fontsize=7)
    ax.set_xlabel("class")
    ax.set_ylabel("proportion")
    ax.legend(fontsize=8)
    return _png(fig)


def toy_scatter(
    points: np.ndarray,
    centres: Optional[np.ndarray],
    ref: Optional[np.ndarray],
    title: str = "",
    mode_counts=None,
    max_points: int = 10000,
) -> bytes:
    """2-D toy samples over reference points, with the mixture's centres (green: hit, red: missed)."""
    fig = Figure(figsize=(6, 6))
    ax = fig.add_subplot()
    if ref is not None:
        ax.scatter(ref[:max_points, 0], ref[:max_points, 1], s=6, alpha=0.3, color=REF, label="reference", linewidths=0)
    ax.scatter(points[:max_points, 0], points[:max_points, 1], s=6, alpha=0.5, color=GEN, label="samples", linewidths=0)
    if centres is not None:
        hit = np.ones(len(centres), bool) if mode_counts is None else np.asarray(mode_counts) > 0
        ax.scatter(
            centres[hit, 0],
            centres[hit, 1],
            s=140,
            facecolors="none",
            edgecolors="#2ca02c",
            label="mode hit" if mode_counts is not None else "mode centre",
        )
        if (~hit).any():
            ax.scatter(centres[~hit, 0], centres[~hit, 1], s=70, marker="x", color=OVER, label="mode missed")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, frameon=False)
    return _png(fig)


def mode_histogram(mode_counts, title: str = "") -> bytes:
    """Samples per mode, modes sorted by count (a uniform generator is flat; collapse is a cliff),
    with the count a uniform generator would give."""
    counts = np.asarray(mode_counts, dtype=np.int64)
    order = np.sort(counts)[::-1]
    fig = Figure(figsize=(10, 3.4))
    ax = fig.add_subplot()
    ax.bar(np.arange(len(order)), order, 1.0, color=GEN, linewidth=0)
    ax.axhline(counts.sum() / len(counts), color=REF, ls="--", label="uniform over all modes")
    missed = int((counts == 0).sum())
    ax.set_xlim(-0.5, len(order) - 0.5)
    ax.set_xlabel(f"modes, sorted by count ({len(counts) - missed} of {len(counts)} hit, {missed} missed)")
    ax.set_ylabel("samples")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _png(fig)
