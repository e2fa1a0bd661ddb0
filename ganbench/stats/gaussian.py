"""Mean and covariance of feature sets, in float64, from all features at once or streamed.

Streaming keeps O(d^2) memory whatever N is. Sums are taken about a shift (the first
batch's mean) so that the covariance does not lose digits to cancellation when features
have a large common offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GanbenchError


@dataclass
class GaussianStats:
    mu: np.ndarray  # (d,) float64
    sigma: np.ndarray  # (d, d) float64
    n: int

    @classmethod
    def from_features(cls, feats: np.ndarray) -> "GaussianStats":
        acc = RunningMoments(feats.shape[1])
        acc.update(feats)
        return acc.finalize()


class RunningMoments:
    """Accumulates sum and outer-product sum of (x - shift) in float64."""

    def __init__(self, dim: int):
        self.dim = dim
        self.n = 0
        self.shift = None
        self.s1 = np.zeros(dim, dtype=np.float64)
        self.s2 = np.zeros((dim, dim), dtype=np.float64)

    def update(self, feats: np.ndarray) -> None:
        x = np.asarray(feats, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"expected (N, {self.dim}) features, got {x.shape}")
        if len(x) == 0:
            return
        if self.shift is None:
            self.shift = x.mean(axis=0)
        x = x - self.shift
        self.n += len(x)
        self.s1 += x.sum(axis=0)
        self.s2 += x.T @ x

    def merge(self, other: "RunningMoments") -> None:
        """Add another accumulator's sums (e.g. from another rank), re-centred on our shift."""
        if other.n == 0:
            return
        if self.shift is None:
            self.shift, self.n, self.s1, self.s2 = other.shift, other.n, other.s1.copy(), other.s2.copy()
            return
        delta = other.shift - self.shift  # sum (x - a) = sum (x - b) + n (b - a)
        s1 = other.s1 + other.n * delta
        self.s2 += other.s2 + np.outer(other.s1, delta) + np.outer(delta, other.s1) + other.n * np.outer(delta, delta)
        self.s1 += s1
        self.n += other.n

    def finalize(self) -> GaussianStats:
        if self.n < 2:
            raise GanbenchError(f"need at least 2 samples for a covariance, got {self.n}")
        mean_c = self.s1 / self.n
        sigma = (self.s2 - self.n * np.outer(mean_c, mean_c)) / (self.n - 1)
        sigma = (sigma + sigma.T) / 2  # exact symmetry for the eigensolver
        return GaussianStats(mu=self.shift + mean_c, sigma=sigma, n=self.n)
