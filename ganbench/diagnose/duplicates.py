"""Near-duplicates among the samples and the birthday-paradox support estimate.

Threshold: a pair is a near-duplicate when its feature distance is <= tau, with tau the `quantile`
(default 1%) of the reference's leave-one-out nearest-neighbour distances -- the same tau as the
memorisation check: closer than all but 1% of real images come to their nearest other real image.
Copies of one image are always duplicates: their features agree to float32 rounding (knn.EXACT_RTOL), not
necessarily bit for bit, since BLAS kernels differ with the batch a copy falls in.

Rates: the duplicate rate is the fraction of samples that are a near-duplicate of an *earlier*
sample (so 10% injected copies read as 10%, not 20%).  The same is measured on a random reference
subset of the same size with the same tau, because nearest-neighbour distances shrink as sets grow
and only equal-size sets compare fairly.

Support size, after Arora & Zhang 2017, "Do GANs actually learn the distribution? An empirical
study" (the birthday paradox: if batches of s samples hold a duplicate with probability >= 1/2, the
support is about s^2).  We estimate from the observed count instead of a 50% batch size: n draws
from a uniform support of size S give an expected C(n,2)/S duplicate pairs, so with d observed
pairs S ~= n(n-1) / (2d).  With d = 0 there is no estimate, only "more than about n(n-1)/2".
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..metrics.knn import as_features, copies_beyond_first, exact_distances, exact_tolerance, iter_sqdist, knn


def close_pairs(x: np.ndarray, tau: float, *, max_pairs: int = 100, device=None) -> dict:
    """All pairs i < j of rows of `x` within distance `tau`: count, per-row flags, closest pairs."""
    n = len(x)
    flagged = np.zeros(n, dtype=bool)  # j has some i < j within tau
    count = 0
    best_d = np.empty(0, np.float32)
    best_ij = np.empty((0, 2), np.int64)
    for s, d2 in iter_sqdist(x, x, device=device, desc="duplicates"):
        # keep only j > i: block row r is global row s + r, so the band starts at diagonal s + 1
        hit = torch.triu(d2 <= tau * tau, diagonal=s + 1)
        n_hit = int(hit.sum())
        if not n_hit:
            continue
        count += n_hit
        flagged |= hit.any(0).cpu().numpy()
        if not max_pairs:
            continue
        if n_hit <= 1 << 20:
            ij = hit.nonzero()
            v = d2[ij[:, 0], ij[:, 1]]
        else:  # a collapsed generator: too many pairs to list, take the closest straight from the block
            v, flat = torch.topk(d2.masked_fill(~hit, float("inf")).flatten(), max_pairs, largest=False)
            ij = torch.stack([flat // n, flat % n], 1)
        if len(v) > max_pairs:
            v, sel = torch.topk(v, max_pairs, largest=False)
            ij = ij[sel]
        ij_np = ij.cpu().numpy()
        ij_np[:, 0] += s
        best_d = np.concatenate([best_d, v.sqrt().cpu().numpy()])
        best_ij = np.concatenate([best_ij, ij_np])
        keep = np.argsort(best_d, kind="stable")[:max_pairs]
        best_d, best_ij = best_d[keep], best_ij[keep]
    if len(best_ij):
        best_d = exact_distances(x, x, best_ij[:, 0], best_ij[:, 1])
        keep = np.argsort(best_d, kind="stable")
        best_d, best_ij = best_d[keep], best_ij[keep]
    return {"pairs": count, "flagged": flagged, "closest": best_ij, "closest_distance": best_d}


def support_estimate(n: int, pairs: int) -> Optional[float]:
    """Birthday-paradox support size n(n-1)/(2d); None when no pair was seen."""
    return n * (n - 1) / (2 * pairs) if pairs > 0 else None


def duplicates(
    gen: np.ndarray,
    ref: np.ndarray,
    *,
    quantile: float = 0.01,
    seed: int = 0,
    max_pairs: int = 100,
    ref_nn: Optional[np.ndarray] = None,
    device=None,
) -> dict:
    """Near-duplicate pairs in `gen`, their rate vs an equal-size reference subset, support size."""
    gen = as_features(gen, "generated features")
    ref = as_features(ref, "reference features")
    d_real = knn(ref, None, 1, device=device)[0][:, 0] if ref_nn is None else np.asarray(ref_nn)
    tau = float(np.quantile(d_real, quantile))
    n = len(gen)
    g = close_pairs(gen, tau, max_pairs=max_pairs, device=device)
    m = min(n, len(ref))
    sub = np.sort(np.random.default_rng(seed).choice(len(ref), m, replace=False))
    r = close_pairs(ref[sub], tau, max_pairs=0, device=device)
    exact = copies_beyond_first(gen, exact_tolerance(ref), device=device)
    rate, ref_rate = float(g["flagged"].mean()), float(r["flagged"].mean())
    return {
        "quantile": float(quantile),
        "threshold": tau,
        "n": int(n),
        "pairs": int(g["pairs"]),
        "duplicate_rate": rate,
        "exact_duplicate_rate": float(exact / n),
        "reference_subset_size": int(m),
        "reference_pairs": int(r["pairs"]),
        "reference_duplicate_rate": ref_rate,
        "rate_ratio": rate / ref_rate if ref_rate > 0 else None,
        "support_estimate": support_estimate(n, g["pairs"]),
        "support_lower_bound": n * (n - 1) / 2 if g["pairs"] == 0 else None,
        "reference_support_estimate": support_estimate(m, r["pairs"]),
        "closest_pairs": [
            {"i": int(i), "j": int(j), "distance": float(d)} for (i, j), d in zip(g["closest"], g["closest_distance"])
        ],
        "_flagged": g["flagged"],
    }
