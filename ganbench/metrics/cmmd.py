"""CMMD (Jayasumana et al. 2024, "Rethinking FID"): the squared maximum mean discrepancy between CLIP
ViT-L/14@336px embeddings of the samples and of the reference, L2-normalised, with a Gaussian RBF kernel
k(x, y) = exp(-|x - y|^2 / (2 sigma^2)), sigma = 10, times 1000. The estimator is the biased (V-statistic,
minimum-variance) one: the means over the full kernel matrices, diagonals included, so CMMD of a set with
itself is exactly 0 and of two samples of one distribution slightly above 0.

Reference: sayakpaul/cmmd-pytorch `distance.py` (mmd; _SIGMA = 10, _SCALE = 1000) and `embedding.py` at
f7673a9f46320ac958878c19f7686e203376ad9d, a port of google-research `cmmd/distance.py`; the embeddings
and their preprocessing: features/clip.py (`clip-vit-l-14-336`). Kernel sums here in float64, over row
blocks of the one k-NN engine (knn.py), so 30k x 30k never sits in memory. With --bootstrap both sets are
resampled (the V-statistic of each resample; bias-corrected percentile interval, floored at 0). With the
classes of both sets (--labels, --ref-labels), each class's CMMD is in `extra`.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults
from .intra_fid import class_extra

SCALE = 1000.0


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _kernel_mean(a: np.ndarray, b: np.ndarray, sigma: float) -> float:
    from .knn import iter_sqdist

    total = 0.0
    for _, d2 in iter_sqdist(a, b, dtype=np.float64):
        total += float((-d2 / (2 * sigma**2)).exp_().sum())
    return total / (len(a) * len(b))


def cmmd(gen: np.ndarray, ref: np.ndarray, sigma: float = 10.0) -> float:
    """1000 x biased MMD^2 of the L2-normalised rows."""
    x, y = normalise(ref), normalise(gen)
    return SCALE * (_kernel_mean(x, x, sigma) + _kernel_mean(y, y, sigma) - 2 * _kernel_mean(x, y, sigma))


def _bootstrap(gen: np.ndarray, ref: np.ndarray, sigma: float, n_boot: int, rng) -> np.ndarray:
    import torch

    from .kid import _weighted_sums

    x, y = normalise(ref), normalise(gen)
    w = rng.multinomial(len(x), np.full(len(x), 1 / len(x)), size=n_boot).T.astype(np.float64)
    v = rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=n_boot).T.astype(np.float64)

    def kernel(a, b):
        return torch.exp(-(torch.cdist(a, b) ** 2) / (2 * sigma**2))

    sxx = _weighted_sums(x, x, w, w, kernel) / len(x) ** 2
    syy = _weighted_sums(y, y, v, v, kernel) / len(y) ** 2
    sxy = _weighted_sums(x, y, w, v, kernel) / (len(x) * len(y))
    return SCALE * (sxx + syy - 2 * sxy)


def validate(opts: dict) -> None:
    sigma = with_defaults(opts)["cmmd_sigma"]
    if not sigma > 0:
        raise GanbenchError(
            f"cmmd_sigma={sigma}: the RBF bandwidth must be > 0: pass e.g. -O cmmd_sigma=10 (the paper's)"
        )


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    sigma = opts["cmmd_sigma"]
    if (np.linalg.norm(gen.array("pool"), axis=1) == 0).any() or (np.linalg.norm(ref.array("pool"), axis=1) == 0).any():
        raise GanbenchError(
            "cmmd: an embedding is all zeros and cannot be L2-normalised: check the images and the CLIP weights"
        )
    out = MetricValue(
        cmmd(gen.array("pool"), ref.array("pool"), sigma),
        extra=class_extra(gen, ref, "cmmd", lambda g, r: cmmd(g, r, sigma), need=1),
    )
    if opts["bootstrap"]:
        out.ci = percentile_ci(
            _bootstrap(gen.array("pool"), ref.array("pool"), sigma, opts["bootstrap"], rng),
            opts["confidence"],
            out.value,
            floor=0.0,
        )
        out.ci_method = "bias-corrected percentile bootstrap, both sets resampled (V-statistic per replicate)"
    return out


METRIC = register(
    Metric(
        name="cmmd",
        summary="CMMD: 1000 x biased MMD^2 of CLIP ViT-L/14@336 embeddings, RBF sigma 10 (lower is better)",
        reference="google-research cmmd / sayakpaul/cmmd-pytorch distance.mmd (Jayasumana et al. 2024)",
        needs=("pool",),
        uses_ref=True,
        min_samples=lambda opts: 1,
        compute=compute,
        bounds=(0.0, None),
        validate=validate,
        options={"cmmd_sigma": 10.0},  # the paper's
        extractor="clip-vit-l-14-336",
    )
)
