"""Frechet Inception Distance (Heusel et al. 2017) on pool3 features.

Matches pytorch-fid's `calculate_frechet_distance` and torch-fidelity's `fid`, but takes
tr sqrt(S1 S2) from a symmetric eigenproblem instead of scipy's general `sqrtm`:
with S1 = V L V^T and A = V L^1/2 V^T, the eigenvalues of S1 S2 equal those of the
symmetric PSD matrix A S2 A, so tr sqrt(S1 S2) = sum sqrt(eig(A S2 A)). Two `eigh` calls are
several times faster than `sqrtm`, need no eps fudge for singular covariances, and can
never return NaN or a complex number (tiny negative eigenvalues from rounding are clamped).
"""

from __future__ import annotations

import warnings

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register


def _eigh(m: np.ndarray):
    import torch

    w, v = torch.linalg.eigh(torch.from_numpy(np.ascontiguousarray(m)))
    return w.numpy(), v.numpy()


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr sqrt(sigma1 @ sigma2) for symmetric PSD matrices, in float64."""
    w, v = _eigh(np.asarray(sigma1, dtype=np.float64))
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ np.asarray(sigma2, dtype=np.float64) @ root
    m = (m + m.T) / 2
    import torch

    ev = torch.linalg.eigvalsh(torch.from_numpy(m)).numpy()
    return float(np.sqrt(np.clip(ev, 0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"statistics of different dimensions: {mu1.shape} vs {mu2.shape}")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2)
    return float(max(value, 0.0))  # rounding can give -1e-12 for identical sets


def _rank_warning(n: int, d: int, side: str) -> None:
    if n <= d:
        warnings.warn(
            f"FID: the {side} set has {n} samples for {d}-d features, so its covariance is "
            f"rank-deficient; FID is strongly biased upwards at this size (use >= 10,000 samples "
            f"to compare with published numbers, 50,000 is the protocol)", stacklevel=3)


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    g, r = gen.gaussian(), ref.gaussian()
    d = len(g.mu)
    _rank_warning(g.n, d, "generated")
    _rank_warning(r.n, d, "reference")
    value = frechet_distance(g.mu, g.sigma, r.mu, r.sigma)
    out = MetricValue(value)
    n_boot = opts.get("bootstrap", 0)
    if n_boot and gen.pool is not None:
        out.ci = _bootstrap(gen, ref, n_boot, opts, rng, value)
        # resampling with replacement duplicates points, which inflates FID: remove that bias
        out.ci_method = "bias-corrected percentile bootstrap, both sets resampled"
    return out


def _bootstrap(gen: Features, ref: Features, n_boot: int, opts: dict, rng, estimate: float) -> tuple:
    from ..stats import GaussianStats

    values = []
    for _ in range(n_boot):
        g = GaussianStats.from_features(gen.pool[rng.integers(0, gen.n, gen.n)])
        if ref.pool is not None:
            r = GaussianStats.from_features(ref.pool[rng.integers(0, ref.n, ref.n)])
        else:  # a statistics-only reference cannot be resampled
            r = ref.gaussian()
        values.append(frechet_distance(g.mu, g.sigma, r.mu, r.sigma))
    return percentile_ci(values, opts.get("confidence", 0.95), estimate)


METRIC = register(Metric(
    name="fid",
    summary="Frechet Inception Distance on pool3 features (lower is better)",
    reference="pytorch-fid calculate_frechet_distance; torch-fidelity fid",
    needs=("stats",),
    uses_ref=True,
    min_samples=lambda opts: 2,
    compute=compute,
))
