"""The one k-NN engine: chunked Euclidean distances in feature space, so 50k x 50k never sits in memory.

Squared distances come from ``|a|^2 + |b|^2 - 2 a.b``, one matmul per chunk, on the GPU when there
is one: in float32 for the diagnostics (distances they report are recomputed exactly, see
`exact_distances`), in float64 for precision, recall, density and coverage, whose ball-membership
tests must agree with prdc and torch-fidelity to the last boundary case.  Two details keep the
formula honest:

* both sets are centred on the same mean first, which shrinks the norms and with them the
  cancellation error of the formula;
* rows that are bit-identical get distance exactly 0 (matched by a hash of their bytes), because
  rounding would otherwise leave exact copies at a small positive distance, and a copy must never
  slip past a threshold.
"""

from __future__ import annotations

import contextlib
import hashlib
from contextvars import ContextVar
from typing import Iterator, Optional, Tuple

import numpy as np
import torch

from ..device import pick_device
from ..errors import GanbenchError

# elements of one (rows x len(b)) distance block; 2**24 float32 = 64 MiB
BLOCK_ELEMS = 1 << 24


def as_features(x, what: str = "features") -> np.ndarray:
    """A 2-D float32 C-contiguous copy-if-needed of `x`, or a GanbenchError naming `what`."""
    x = np.asarray(x)
    if x.ndim != 2 or len(x) == 0:
        raise GanbenchError(
            f"{what} must be a non-empty (N, D) array, got shape {x.shape}: pass one feature vector per row"
        )
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise GanbenchError(f"{what} contain NaN or inf: check the feature extractor's input images")
    return x


_ROW_IDS: ContextVar[Optional[dict]] = ContextVar("ganbench_row_ids", default=None)


@contextlib.contextmanager
def reuse_row_ids():
    """Within this block, hash each array's rows once (the caller promises not to mutate them)."""
    token = _ROW_IDS.set({})
    try:
        yield
    finally:
        _ROW_IDS.reset(token)


def _row_digests(x: np.ndarray) -> list:
    cache = _ROW_IDS.get()
    key = (id(x), x.__array_interface__["data"][0], x.shape)
    if cache is not None and key in cache:
        return cache[key][1]
    digests = [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in x]
    if cache is not None:
        cache[key] = (x, digests)  # holding x keeps its id from being reused inside the block
    return digests


def row_ids(*arrays: np.ndarray) -> Tuple[np.ndarray, ...]:
    """One integer id per row, equal exactly when two rows (of any of the arrays) are bit-identical."""
    table: dict = {}
    return tuple(
        np.fromiter((table.setdefault(d, len(table)) for d in _row_digests(x)), np.int64, len(x)) for x in arrays
    )


def iter_sqdist(
    a: np.ndarray,
    b: np.ndarray,
    *,
    device=None,
    block_elems: Optional[int] = None,
    desc: str = "distances",
    dtype=np.float32,
) -> Iterator[Tuple[int, torch.Tensor]]:
    """Yield ``(start, d2)``: squared distances from rows ``a[start:start+c]`` to every row of `b`,
    computed in `dtype` (float32, or float64 where exact agreement with a reference needs it)."""
    from ..progress import bar

    dev = pick_device(device)
    block_elems = BLOCK_ELEMS if block_elems is None else block_elems
    a, b = np.ascontiguousarray(a, dtype=dtype), np.ascontiguousarray(b, dtype=dtype)
    shift = b.mean(axis=0, dtype=np.float64).astype(dtype)
    ida, idb = row_ids(a, b)
    bt = torch.from_numpy(b - shift).to(dev)
    bn = (bt * bt).sum(1)
    idb_t = torch.from_numpy(idb).to(dev)
    rows = max(1, block_elems // max(1, len(b)))
    # a bar only where it matters: 50k x 50k on a CPU takes minutes per pass
    progress = bar(total=len(a), desc=desc, unit="row", enabled=None if len(a) * len(b) > 1 << 28 else False)
    try:
        for s in range(0, len(a), rows):
            at = torch.from_numpy(a[s : s + rows] - shift).to(dev)
            # one fused pass: |b|^2 - 2 a.b, then + |a|^2 in place (the broadcasting sum costs 2x the matmul)
            d2 = torch.addmm(bn[None, :], at, bt.T, alpha=-2.0).add_((at * at).sum(1)[:, None])
            d2.clamp_(min=0.0)
            same = torch.from_numpy(ida[s : s + rows]).to(dev)[:, None] == idb_t[None, :]
            d2.masked_fill_(same, 0.0)
            yield s, d2
            progress.update(len(d2))
    finally:
        progress.close()


def knn(a: np.ndarray, b: Optional[np.ndarray] = None, k: int = 1, *, device=None) -> Tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the `k` nearest rows of `b` for each row of `a`, nearest first.

    With ``b=None`` the search is leave-one-out within `a` (a row is never its own neighbour,
    though an identical copy elsewhere in `a` is, at distance 0).
    """
    loo = b is None
    b = a if b is None else b
    if len(b) - int(loo) < k:
        raise GanbenchError(
            f"need more than {k} reference rows for {k}-nearest neighbours, got {len(b)}: use more samples"
        )
    idx = np.empty((len(a), k), dtype=np.int64)
    for s, d2 in iter_sqdist(a, b, device=device):
        if loo:
            r = torch.arange(d2.shape[0], device=d2.device)
            d2[r, r + s] = float("inf")
        i = torch.topk(d2, k, dim=1, largest=False, sorted=False).indices
        idx[s : s + len(i)] = i.cpu().numpy()
    dist = exact_distances(a, b, np.arange(len(a))[:, None], idx)
    # re-sort: the exact values may swap neighbours that the float32 formula saw as near-ties
    order = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)


def exact_distances(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """||a[ia] - b[ib]|| in float64 by differences (exact 0 for copies, fine resolution near 0).

    The matmul formula's rounding (~1e-7 of the squared norms) hides distances much below ~1e-3
    of the norm; a near-copy must read as near, not as 0, so reported distances are recomputed.
    """
    ia, ib = np.broadcast_arrays(ia, ib)
    out = np.empty(ia.shape, dtype=np.float64)
    flat_a, flat_b, flat_out = ia.reshape(-1), ib.reshape(-1), out.reshape(-1)
    step = max(1, (1 << 22) // max(1, a.shape[1]))  # ~32 MiB of float64 differences at a time
    for s in range(0, len(flat_a), step):
        diff = a[flat_a[s : s + step]].astype(np.float64) - b[flat_b[s : s + step]]
        flat_out[s : s + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


# Copies of one image need not give bit-identical features: BLAS kernels differ with the batch size, so
# a copy in another batch can differ in the last bits (OpenBLAS 0.3.31 does). Distinct images are never
# this close: "exact" means equal to float32 rounding, relative to the features' scale.
EXACT_RTOL = 1e-5


def exact_tolerance(ref: np.ndarray) -> float:
    """The distance below which two feature rows are copies of one image (EXACT_RTOL x the RMS row norm)."""
    x = np.asarray(ref, np.float64)
    return float(EXACT_RTOL * np.sqrt((x * x).sum(1).mean())) if len(x) else 0.0


def copies_beyond_first(x: np.ndarray, tol: float, k: int = 8, device=None) -> int:
    """Rows that copy an earlier row (n minus the number of groups of copies): groups joined over the
    pairs within `tol` among each row's k nearest (exact for groups of up to k + 1 copies)."""
    n = len(x)
    if n < 2:
        return 0
    dist, idx = knn(x, None, min(k, n - 1), device=device)
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(dist <= tol)):
        a, b = root(i), root(idx[i, j])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return int(n - len({root(i) for i in range(n)}))
