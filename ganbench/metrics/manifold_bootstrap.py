"""Sampling intervals for precision, recall, density and coverage: both sets resampled.

A replicate draws both sets again with replacement and rebuilds every k-NN ball on the resample.
Copies of one original point are never each other's neighbours (a fresh sample has no copies, and
counting them would shrink the balls to zero), while copies of a neighbour count once each.

Every replicate is read off one pass over the data: each point's `K_MAX` nearest other points in
its own set (the k-th nearest in a resample, counted with multiplicity, is among them unless
fewer than k of the `K_MAX` are drawn at all, chance ~1e-9), the reference-generated pairs that
fall inside those widest balls, and each reference point's `K_MAX` nearest generated points.
With all weights 1 a replicate equals the point estimates of manifold.py exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np
import torch

from ..errors import GanbenchError
from .manifold import distance_blocks

K_MAX = 32
MAX_PAIRS = 64_000_000  # ~1 GB of pair lists


def _neighbours(x: np.ndarray, k: int):
    """(distances, indices) of each row's k nearest other rows, ascending."""
    dist, idx = [], []
    for s, d in distance_blocks(x, x):
        rows = torch.arange(s, s + len(d))
        d[rows - s, rows] = float("inf")  # never one's own neighbour
        v, i = torch.topk(d, k, dim=1, largest=False, sorted=True)
        dist.append(v)
        idx.append(i)
    return torch.cat(dist).numpy(), torch.cat(idx).numpy()


@dataclass
class _Pass:
    ref_nd: np.ndarray  # (n_ref, K) distances to nearest other reference points
    ref_ni: np.ndarray
    gen_nd: np.ndarray
    gen_ni: np.ndarray
    rb: tuple  # (ref i, gen j, distance) inside reference i's widest ball
    gb: tuple  # (ref i, gen j, distance) inside generated j's widest ball
    cov_d: np.ndarray  # (n_ref, K) distances to the nearest generated points
    cov_i: np.ndarray


def _one_pass(gen: np.ndarray, ref: np.ndarray) -> _Pass:
    k = min(K_MAX, len(ref) - 1, len(gen) - 1)
    ref_nd, ref_ni = _neighbours(ref, k)
    gen_nd, gen_ni = _neighbours(gen, k)
    r_wide, g_wide = torch.from_numpy(ref_nd[:, -1]), torch.from_numpy(gen_nd[:, -1])
    rb: List[tuple] = []
    gb: List[tuple] = []
    cov_d, cov_i, count = [], [], 0
    for s, d in distance_blocks(ref, gen):
        c = len(d)
        for out, mask in ((rb, d <= r_wide[s : s + c, None]), (gb, d <= g_wide[None, :])):
            i, j = torch.nonzero(mask, as_tuple=True)
            out.append((i.numpy().astype(np.int64) + s, j.numpy().astype(np.int64), d[i, j].numpy()))
            count += len(i)
        if count > MAX_PAIRS:
            raise GanbenchError(
                f"the precision/recall/density/coverage bootstrap would keep over {MAX_PAIRS:,} "
                "ball memberships: the sets are too large or too concentrated for it; drop "
                "--bootstrap for these metrics or evaluate fewer samples"
            )
        v, i = torch.topk(d, min(K_MAX, len(gen)), dim=1, largest=False, sorted=True)
        cov_d.append(v.numpy())
        cov_i.append(i.numpy())

    def cat(parts):
        return tuple(np.concatenate([p[c] for p in parts]) for c in range(3))

    return _Pass(ref_nd, ref_ni, gen_nd, gen_ni, cat(rb), cat(gb), np.concatenate(cov_d), np.concatenate(cov_i))


def _radii(nd: np.ndarray, ni: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Each point's distance to its k-th nearest other point of a resample with multiplicities `w`."""
    reached = np.cumsum(w[ni], axis=1) >= k
    pos = np.where(reached.any(1), reached.argmax(1), nd.shape[1] - 1)
    return nd[np.arange(len(nd)), pos]


def _replicate(p: _Pass, w: np.ndarray, v: np.ndarray, k_prc: int, k_dc: int) -> tuple:
    n_ref, n_gen = len(w), len(v)
    r_prc, r_dc = _radii(p.ref_nd, p.ref_ni, w, k_prc), _radii(p.ref_nd, p.ref_ni, w, k_dc)
    g_prc = _radii(p.gen_nd, p.gen_ni, v, k_prc)
    i, j, d = p.rb
    drawn = w[i] > 0
    inside = np.zeros(n_gen, bool)
    inside[j[drawn & (d <= r_prc[i])]] = True
    precision = (v * inside).sum() / n_gen
    hit = drawn & (d < r_dc[i])
    balls = np.bincount(j[hit], weights=w[i[hit]], minlength=n_gen)
    density = (v * balls).sum() / (k_dc * n_gen)
    i, j, d = p.gb
    inside = np.zeros(n_ref, bool)
    inside[i[(v[j] > 0) & (d <= g_prc[j])]] = True
    recall = (w * inside).sum() / n_ref
    present = v[p.cov_i] > 0
    first = present.argmax(1)
    nearest = np.where(present.any(1), p.cov_d[np.arange(n_ref), first], np.inf)
    coverage = (w * (nearest < r_dc)).sum() / n_ref
    return precision, recall, density, coverage


def replicates(gen: np.ndarray, ref: np.ndarray, k_prc: int, k_dc: int, n_boot: int, rng, weights=None) -> dict:
    """{metric: (n_boot,) values} over `n_boot` resamples of both sets (or the given (w, v) weights)."""
    p = _one_pass(gen, ref)
    if weights is None:
        weights = [
            (
                rng.multinomial(len(ref), np.full(len(ref), 1.0 / len(ref))),
                rng.multinomial(len(gen), np.full(len(gen), 1.0 / len(gen))),
            )
            for _ in range(n_boot)
        ]
    rows = np.array(
        [_replicate(p, np.asarray(w, np.float64), np.asarray(v, np.float64), k_prc, k_dc) for w, v in weights]
    )
    return dict(zip(("precision", "recall", "density", "coverage"), rows.T))
