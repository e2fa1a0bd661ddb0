"""Coverage and recall restated per reference cluster (the NDB bins).

Coverage follows Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative
Models": a reference point is covered when its k-NN ball among the reference (k=5, radius = distance
to its 5th nearest other reference point) contains a generated sample.  Recall follows
Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative Models":
a reference point is recalled when it lies inside some generated sample's k-NN ball among the
generated set (k=3).  Both use strict '<' as the papers' reference code does.  Averaged over all
reference points they are the usual coverage and recall; averaged per bin they say *where* the
generator falls short.  A bin none of whose reference points is covered is "unreached".
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..metrics.knn import as_features, iter_sqdist, knn


def _recall_mask(ref: np.ndarray, gen: np.ndarray, gen_radii: np.ndarray, device=None) -> np.ndarray:
    """For each reference row: is it strictly inside any generated sample's k-NN ball?"""
    out = np.zeros(len(ref), dtype=bool)
    r2 = None
    for s, d2 in iter_sqdist(ref, gen, device=device):
        if r2 is None:
            r2 = torch.from_numpy(gen_radii.astype(np.float32) ** 2).to(d2.device)
        out[s : s + len(d2)] = (d2 < r2[None, :]).any(1).cpu().numpy()
    return out


def coverage_recall_by_bin(
    gen: np.ndarray,
    ref: np.ndarray,
    ref_bins: np.ndarray,
    k_bins: int,
    *,
    k_coverage: int = 5,
    k_recall: int = 3,
    ref_radii: Optional[np.ndarray] = None,
    device=None,
) -> dict:
    """Per-bin and overall coverage/recall; `ref_bins` is each reference row's bin.

    `ref_radii` may pass in each reference row's distance to its k_coverage-th nearest other row.
    """
    gen = as_features(gen, "generated features")
    ref = as_features(ref, "reference features")
    if ref_radii is None:
        ref_radii = knn(ref, None, k_coverage, device=device)[0][:, -1]
    nearest_gen = knn(ref, gen, 1, device=device)[0][:, 0]
    covered = nearest_gen < ref_radii
    gen_radii = knn(gen, None, k_recall, device=device)[0][:, -1]
    recalled = _recall_mask(ref, gen, gen_radii, device=device)

    n_bin = np.bincount(ref_bins, minlength=k_bins)
    with np.errstate(invalid="ignore"):
        cov_bin = np.bincount(ref_bins, weights=covered, minlength=k_bins) / n_bin
        rec_bin = np.bincount(ref_bins, weights=recalled, minlength=k_bins) / n_bin
    unreached = np.flatnonzero((n_bin > 0) & (cov_bin == 0))
    return {
        "k_coverage": int(k_coverage),
        "k_recall": int(k_recall),
        "coverage": float(covered.mean()),
        "recall": float(recalled.mean()),
        "coverage_per_bin": [None if np.isnan(v) else round(float(v), 6) for v in cov_bin],
        "recall_per_bin": [None if np.isnan(v) else round(float(v), 6) for v in rec_bin],
        "ref_count_per_bin": n_bin.tolist(),
        "unreached_bins": unreached.tolist(),
        "_covered": covered,
        "_recalled": recalled,
    }
