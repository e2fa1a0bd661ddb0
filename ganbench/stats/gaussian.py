"""Mean and covariance of feature sets, in float64, from all features at once or streamed.

Streaming keeps O(d^2) memory whatever N is: rows are buffered into blocks of at most
`block` rows and each block is added to the outer-product sum with one BLAS `dsyrk`
(a symmetric rank-k update: half the flops of the general product `np.cov` uses, and no
(N, d) float64 copy of the features). Sums are taken about a shift (the first block's mean)
so that the covariance does not lose digits to cancellation when features have a large
common offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GanbenchError

BLOCK = 4096  # rows per dsyrk call: OpenBLAS dsyrk reaches ~60% of dgemm's rate from here on; 64 MiB at d=2048


@dataclass
class GaussianStats:
    mu: np.ndarray  # (d,) float64
    sigma: np.ndarray  # (d, d) float64
    n: int

    @classmethod
    def from_features(cls, feats: np.ndarray) -> GaussianStats:
        feats = np.asarray(feats)
        acc = RunningMoments(feats.shape[1])
        if len(feats):
            # centre on the exact mean: blocks then add no cross terms and no cancellation
            acc.shift = feats.mean(axis=0, dtype=np.float64)
        acc.update(feats)
        return acc.finalize()

    @classmethod
    def from_tensor(cls, feats) -> GaussianStats:
        """The same statistics from a torch tensor, computed in float64 on the tensor's device (a GPU
        does the N x d^2 product in milliseconds); equal to `from_features` to float64 rounding."""
        import torch

        x = feats.detach().to(torch.float64)
        n = x.shape[0]
        if x.ndim != 2 or n < 2:
            raise GanbenchError(f"need (N >= 2, d) features for a covariance, got {tuple(x.shape)}")
        mu = x.mean(0)
        xc = x - mu
        sigma = xc.T @ xc / (n - 1)
        sigma = (sigma + sigma.T) / 2  # the product is symmetric only up to rounding on some backends
        return cls(mu.cpu().numpy(), sigma.cpu().numpy(), int(n))


def _syrk_update(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """c += x^T x on the upper triangle of the Fortran-ordered (d, d) float64 `c`, in place."""
    from scipy.linalg.blas import dsyrk

    # x is C-ordered (k, d), so x.T is Fortran-ordered (d, k): no copy, and trans=0 gives x^T x
    out = dsyrk(1.0, x.T, beta=1.0, c=c, trans=0, lower=0, overwrite_c=1)
    if out is not c and not np.shares_memory(out, c):  # pragma: no cover - scipy copied c
        c[...] = out
    return c


class RunningMoments:
    """Accumulates sum and outer-product sum of (x - shift) in float64."""

    def __init__(self, dim: int, block: int = BLOCK):
        self.dim = dim
        self.block = max(1, int(block))
        self.n = 0
        self.shift: Optional[np.ndarray] = None
        self.s1 = np.zeros(dim, dtype=np.float64)
        self._s2 = np.zeros((dim, dim), dtype=np.float64, order="F")  # upper triangle only
        self._buf: Optional[np.ndarray] = None
        self._fill = 0

    # -- accumulation ----------------------------------------------------------------------
    def update(self, feats: np.ndarray) -> None:
        x = np.asarray(feats)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"expected (N, {self.dim}) features, got {x.shape}")
        if len(x) == 0:
            return
        if self.shift is None:
            self.shift = x[: self.block].mean(axis=0, dtype=np.float64)
        shift, start = self.shift, 0
        while start < len(x):
            if self._buf is None:
                self._buf = np.empty((self.block, self.dim), dtype=np.float64)
            take = min(self.block - self._fill, len(x) - start)
            np.subtract(x[start : start + take], shift, out=self._buf[self._fill : self._fill + take], dtype=np.float64)
            self._fill += take
            start += take
            if self._fill == self.block:
                self._flush()

    def _add(self, xc: np.ndarray) -> None:
        self.n += len(xc)
        self.s1 += xc.sum(axis=0)
        _syrk_update(self._s2, np.ascontiguousarray(xc))

    def _flush(self) -> None:
        if self._fill and self._buf is not None:
            self._add(self._buf[: self._fill])
            self._fill = 0

    @property
    def s2(self) -> np.ndarray:
        """The full (symmetric) sum of outer products of (x - shift)."""
        self._flush()
        upper = np.triu(self._s2)
        return upper + np.triu(upper, 1).T

    def merge(self, other: RunningMoments) -> None:
        """Add another accumulator's sums (e.g. from another rank), re-centred on our shift."""
        other._flush()
        if other.n == 0:
            return
        self._flush()
        assert other.shift is not None  # set by the first update, and other.n > 0
        if self.shift is None:
            self.shift, self.n, self.s1 = other.shift.copy(), other.n, other.s1.copy()
            self._s2 = np.asfortranarray(other._s2.copy())
            return
        delta = other.shift - self.shift  # sum (x - a) = sum (x - b) + n (b - a)
        cross = np.outer(other.s1, delta)
        self._s2 += other._s2 + cross + cross.T + other.n * np.outer(delta, delta)
        self.s1 += other.s1 + other.n * delta
        self.n += other.n

    # -- state for gathering across processes --------------------------------------------------
    def state(self) -> dict:
        self._flush()
        return {"n": self.n, "shift": self.shift, "s1": self.s1, "s2": self._s2}

    @classmethod
    def from_state(cls, state: dict) -> RunningMoments:
        acc = cls(len(state["s1"]))
        acc.n = int(state["n"])
        acc.shift = None if state["shift"] is None else np.asarray(state["shift"], np.float64)
        acc.s1 = np.asarray(state["s1"], np.float64).copy()
        acc._s2 = np.asfortranarray(np.asarray(state["s2"], np.float64))
        return acc

    def snapshot(self) -> dict:
        """The exact state as arrays, unflushed rows included, without flushing: an accumulation resumed
        from it (`from_snapshot`) adds the same blocks in the same order, so its result is bit-identical."""
        return {
            "n": np.array(self.n),
            "block": np.array(self.block),
            "s1": self.s1,
            "s2": self._s2,
            "shift": np.zeros(0) if self.shift is None else self.shift,
            "buf": self._buf[: self._fill] if self._fill and self._buf is not None else np.zeros((0, self.dim)),
        }

    @classmethod
    def from_snapshot(cls, state: dict) -> RunningMoments:
        acc = cls(len(state["s1"]), int(state["block"]))
        acc.n, acc.s1 = int(state["n"]), np.array(state["s1"], np.float64)
        acc._s2 = np.asfortranarray(np.array(state["s2"], np.float64))
        acc.shift = np.array(state["shift"], np.float64) if len(state["shift"]) else None
        buf = np.asarray(state["buf"], np.float64)
        if len(buf):
            acc._buf = np.empty((acc.block, acc.dim), dtype=np.float64)
            acc._buf[: len(buf)], acc._fill = buf, len(buf)
        return acc

    def finalize(self) -> GaussianStats:
        self._flush()
        if self.n < 2:
            raise GanbenchError(f"need at least 2 samples for a covariance, got {self.n}")
        assert self.shift is not None  # set by the first update, and n >= 2
        mean_c = self.s1 / self.n
        sigma = np.triu(self._s2)
        sigma += np.triu(sigma, 1).T  # mirror the upper triangle: exactly symmetric
        correction = np.outer(mean_c, mean_c)
        correction *= self.n
        sigma -= correction
        del correction
        sigma /= self.n - 1
        return GaussianStats(mu=self.shift + mean_c, sigma=sigma, n=self.n)


def gather_moments(acc: RunningMoments) -> Optional[RunningMoments]:
    """Under torchrun: every rank's moments merged on rank 0, in rank order; None on other ranks."""
    from .. import distributed

    state = acc.state()
    d = len(state["s1"])
    flat = np.zeros(2 + 2 * d + d * d, dtype=np.float64)
    flat[0] = state["n"]
    flat[1] = 0.0 if state["shift"] is None else 1.0
    if state["shift"] is not None:
        flat[2 : 2 + d] = state["shift"]
    flat[2 + d : 2 + 2 * d] = state["s1"]
    flat[2 + 2 * d :] = np.asarray(state["s2"]).ravel(order="F")
    parts = distributed.gather_vectors(flat)
    if parts is None:
        return None
    total = RunningMoments(d)
    for v in parts:
        if v[0] == 0:
            continue
        total.merge(
            RunningMoments.from_state(
                {
                    "n": int(v[0]),
                    "shift": v[2 : 2 + d].copy(),
                    "s1": v[2 + d : 2 + 2 * d].copy(),
                    "s2": v[2 + 2 * d :].reshape((d, d), order="F"),
                }
            )
        )
    return total
