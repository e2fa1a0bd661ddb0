"""k-NN manifold estimates shared by precision/recall and density/coverage.

One pass over the reference x generated distance matrix (in row chunks, float64, never
materialised whole) yields the per-sample indicators all four metrics need; the results are
memoised per evaluation so asking for all four costs one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

CHUNK = 1024


def _sq_norms(x: torch.Tensor) -> torch.Tensor:
    return (x * x).sum(dim=1)


def _distances(a: torch.Tensor, b: torch.Tensor, b_sq: torch.Tensor) -> torch.Tensor:
    d2 = _sq_norms(a)[:, None] + b_sq[None, :] - 2 * (a @ b.T)
    return d2.clamp_min_(0).sqrt_()


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the (k+1)-th smallest, self included)."""
    xt = _t(x)
    sq = _sq_norms(xt)
    out = np.empty(len(x))
    for s in range(0, len(x), CHUNK):
        d = _distances(xt[s:s + CHUNK], xt, sq)
        out[s:s + CHUNK] = torch.kthvalue(d, k + 1, dim=1).values.numpy()
    return out


@dataclass
class Manifolds:
    precision: np.ndarray  # per generated sample: inside some reference k-NN ball (<=, k_prc)
    recall: np.ndarray  # per reference sample: inside some generated k-NN ball (<=, k_prc)
    density: np.ndarray  # per generated sample: number of reference k-NN balls containing it / k (<, k_dc)
    coverage: np.ndarray  # per reference sample: nearest generated sample inside its ball (<, k_dc)


def manifolds(gen: np.ndarray, ref: np.ndarray, k_prc: int = 3, k_dc: int = 5) -> Manifolds:
    """Comparison conventions follow each metric's reference code: torch-fidelity's precision and
    recall count a sample on the ball's boundary (<=), prdc's density and coverage do not (<)."""
    r_ref_prc, r_ref_dc = knn_radii(ref, k_prc), knn_radii(ref, k_dc)
    r_gen_prc = torch.from_numpy(knn_radii(gen, k_prc))
    g, r = _t(gen), _t(ref)
    g_sq = _sq_norms(g)
    precision = torch.zeros(len(gen), dtype=torch.bool)
    density = torch.zeros(len(gen), dtype=torch.float64)
    recall = np.empty(len(ref), dtype=bool)
    coverage = np.empty(len(ref), dtype=bool)
    for s in range(0, len(ref), CHUNK):
        d = _distances(r[s:s + CHUNK], g, g_sq)  # (chunk of reference, all generated)
        rp = torch.from_numpy(r_ref_prc[s:s + CHUNK])[:, None]
        rd = torch.from_numpy(r_ref_dc[s:s + CHUNK])[:, None]
        precision |= (d <= rp).any(dim=0)
        density += (d < rd).sum(dim=0)
        recall[s:s + CHUNK] = (d <= r_gen_prc[None, :]).any(dim=1).numpy()
        coverage[s:s + CHUNK] = (d.min(dim=1).values < rd[:, 0]).numpy()
    return Manifolds(precision.numpy(), recall, (density / k_dc).numpy(), coverage)


def cached_manifolds(gen, ref, opts: dict) -> Manifolds:
    memo = opts.setdefault("_memo", {})
    key = ("manifolds", id(gen.pool), id(ref.pool), opts["prc_k"], opts["dc_k"])
    if key not in memo:
        memo[key] = manifolds(gen.pool, ref.pool, opts["prc_k"], opts["dc_k"])
    return memo[key]
