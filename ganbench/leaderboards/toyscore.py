"""The toy boards' scores with evaluation intervals: each sample's mode (and, for points, whether it is
high quality) is found once, then the 2,500 samples are resampled. With every sample drawn once the
values are toydata.score's (tested), so a board's number is the benchmark's own metric."""

from __future__ import annotations

import functools
from typing import Optional, Tuple

import numpy as np

from ..toydata.modes import kl_to_uniform

BIAS_CORRECTED = ("fd_pixels",)
CI_METHOD = "percentile bootstrap over the samples ({b} resamples, seed {seed}; the scorer is fixed)"


def per_sample(benchmark: str, samples: np.ndarray) -> dict:
    """{mode: (N,) nearest mode, hq: (N,) bool or None, modes: K}."""
    if benchmark == "stacked-digits":
        from ..toydata.classifier import predict_digits
        from ..toydata.stacked_digits import CHANNEL_WEIGHTS, STACKED_MODES, _as_nhwc

        x = _as_nhwc(samples)
        digits = np.asarray(predict_digits(x.transpose(0, 3, 1, 2).reshape(-1, 8, 8)), np.int64).reshape(len(x), 3)
        return {
            "mode": digits @ CHANNEL_WEIGHTS,
            "hq": None,
            "modes": STACKED_MODES,
            "pixels": x.reshape(len(x), -1).astype(np.float64) / 255.0,
        }
    from ..toydata.mixtures import HQ_SIGMAS, _nearest, mixture

    mix = mixture(benchmark)
    nearest, dist2 = _nearest(np.asarray(samples, np.float64), mix.centres)
    return {"mode": nearest, "hq": dist2 <= (HQ_SIGMAS * mix.sigma) ** 2, "modes": len(mix.centres)}


REF_N, REF_SEED = 10000, 12345  # the real stacked digits that fd_pixels compares with


@functools.cache
def _reference_moments() -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, sigma, B) of the real stacked digits, sigma = B B^T (B = V L^1/2: sigma is singular, the
    border pixels never vary), computed once: each score then needs one 192 x 192 eigvalsh."""
    from ..toydata import make

    x = make("stacked-digits", REF_N, seed=REF_SEED)[0].reshape(REF_N, -1).astype(np.float64) / 255.0
    sigma = np.cov(x, rowvar=False)
    w, v = np.linalg.eigh(sigma)
    keep = w > 1e-9 * w.max()  # the null directions add only sqrt(rounding), which varies with BLAS threads
    return x.mean(0), sigma, v[:, keep] * np.sqrt(w[keep])


def pixel_fd(px: np.ndarray) -> float:
    """Frechet distance of raw pixels (192-d, on [0, 1]) to 10,000 real stacked digits: a quality number
    for the 8x8 benchmark, NOT an Inception FID and not comparable with one. fid.py's eigh route, with the
    reference's factor reused: tr sqrt(S_r S_g) = sum sqrt(eig(B^T S_g B))."""
    mu, sigma, b = _reference_moments()
    cov = np.cov(px, rowvar=False)
    m = b.T @ cov @ b
    tr = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    diff = px.mean(0) - mu
    return float(max(diff @ diff + np.trace(cov) + np.trace(sigma) - 2 * tr, 0.0))


def scores(labels: dict, rows: Optional[np.ndarray] = None) -> dict:
    """The benchmark's metrics of the samples `rows` (all of them when None)."""
    mode = labels["mode"] if rows is None else labels["mode"][rows]
    k = labels["modes"]
    if labels["hq"] is None:
        counts = np.bincount(mode, minlength=k)
        px = labels["pixels"] if rows is None else labels["pixels"][rows]
        return {"modes_hit": int((counts > 0).sum()), "kl_to_uniform": kl_to_uniform(counts), "fd_pixels": pixel_fd(px)}
    hq = labels["hq"] if rows is None else labels["hq"][rows]
    counts = np.bincount(mode[hq], minlength=k)
    near = np.bincount(mode, minlength=k)
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_reached": int((near >= len(mode) / (4 * k)).sum()),
        "high_quality_fraction": float(hq.mean()),
        "reverse_kl": kl_to_uniform(counts),
    }


def with_intervals(
    benchmark: str, samples: np.ndarray, n_boot: int = 200, seed: int = 0, confidence: float = 0.95
) -> dict:
    """{metric: {value, ci, ci_method}}; a metric undefined on the samples (reverse KL with no
    high-quality sample) is left out, and so are undefined replicates from its interval."""
    labels = per_sample(benchmark, samples)
    point = scores(labels)
    rng = np.random.default_rng([seed, 20])
    n = len(labels["mode"])
    reps = [scores(labels, rng.integers(0, n, n)) for _ in range(n_boot)]
    out = {}
    a = (1 - confidence) / 2
    for name, value in point.items():
        if not np.isfinite(value):
            continue
        r = np.array([x[name] for x in reps], np.float64)
        r = r[np.isfinite(r)]
        if name in BIAS_CORRECTED:  # copies in a resample inflate a Frechet distance, as in FID's intervals
            from ..metrics.base import percentile_ci

            lo, hi = percentile_ci(r, confidence, value, floor=0.0)
        else:
            lo, hi = np.quantile(r, [a, 1 - a]) if len(r) else (value, value)
        method = CI_METHOD.format(b=n_boot, seed=seed)
        out[name] = {
            "value": float(value),
            "ci": [float(lo), float(hi)],
            "ci_method": ("bias-corrected " + method) if name in BIAS_CORRECTED else method,
        }
    return out


if __name__ == "__main__":  # python -m ganbench.leaderboards.toyscore BENCHMARK SAMPLES.npz
    import json
    import sys

    with np.load(sys.argv[2], allow_pickle=False) as z:
        print(json.dumps(with_intervals(sys.argv[1], z["samples"]), indent=2))
