"""k-NN manifold estimates shared by precision/recall and density/coverage.

One pass over the reference x generated distance matrix (in row blocks from the one k-NN
engine, knn.py, in float64, never materialised whole) yields the per-sample indicators all four
metrics need; the results are memoised per evaluation so asking for all four costs one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .knn import iter_sqdist


def distance_blocks(a: np.ndarray, b: np.ndarray, device=None):
    """(start, distances) blocks of rows of `a` against all of `b`, float64, from the one k-NN engine."""
    for start, d2 in iter_sqdist(a, b, device=device, dtype=np.float64):
        yield start, d2.sqrt_().cpu()


def knn_radii(x: np.ndarray, k: int, device=None) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the (k+1)-th smallest, self included)."""
    out = np.empty(len(x))
    for s, d in distance_blocks(x, x, device):
        out[s : s + len(d)] = torch.kthvalue(d, k + 1, dim=1).values.numpy()
    return out


@dataclass
class Manifolds:
    precision: np.ndarray  # per generated sample: inside some reference k-NN ball (<=, k_prc)
    recall: np.ndarray  # per reference sample: inside some generated k-NN ball (<=, k_prc)
    density: np.ndarray  # per generated sample: number of reference k-NN balls containing it / k (<, k_dc)
    coverage: np.ndarray  # per reference sample: nearest generated sample inside its ball (<, k_dc)


def manifolds(gen: np.ndarray, ref: np.ndarray, k_prc: int = 3, k_dc: int = 5, device=None) -> Manifolds:
    """Comparison conventions follow each metric's reference code: torch-fidelity's precision and
    recall count a sample on the ball's boundary (<=), prdc's density and coverage do not (<)."""
    r_ref_prc, r_ref_dc = knn_radii(ref, k_prc, device), knn_radii(ref, k_dc, device)
    r_gen_prc = torch.from_numpy(knn_radii(gen, k_prc, device))
    precision = torch.zeros(len(gen), dtype=torch.bool)
    density = torch.zeros(len(gen), dtype=torch.float64)
    recall = np.empty(len(ref), dtype=bool)
    coverage = np.empty(len(ref), dtype=bool)
    for s, d in distance_blocks(ref, gen, device):  # (block of reference, all generated)
        c = len(d)
        rp = torch.from_numpy(r_ref_prc[s : s + c])[:, None]
        rd = torch.from_numpy(r_ref_dc[s : s + c])[:, None]
        precision |= (d <= rp).any(dim=0)
        density += (d < rd).sum(dim=0)
        recall[s : s + c] = (d <= r_gen_prc[None, :]).any(dim=1).numpy()
        coverage[s : s + c] = (d.min(dim=1).values < rd[:, 0]).numpy()
    return Manifolds(precision.numpy(), recall, (density / k_dc).numpy(), coverage)


def cached_manifolds(gen, ref, opts: dict) -> Manifolds:
    memo = opts.setdefault("_memo", {})
    key = ("manifolds", id(gen.pool), id(ref.pool), opts["prc_k"], opts["dc_k"])
    if key not in memo:
        memo[key] = manifolds(gen.pool, ref.pool, opts["prc_k"], opts["dc_k"])
    return memo[key]
