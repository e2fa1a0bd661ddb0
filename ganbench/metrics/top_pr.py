"""Topological precision and recall, TopP&R (Kim et al. 2023): precision and recall counted only over the
samples that stand out of the noise. Each set's support is estimated by a kernel density estimate (compact
cosine kernel, bandwidth from a "balloon" k-NN distance) thresholded by a bootstrap confidence band of level
1 - alpha; topp is the share of the samples significant on their own estimate that are also significant on
the reference's, topr the same the other way. Outliers and sparse noise count for neither, so a few copies
of far-off points cannot buy recall.

Reference: the `top-pr` package 0.2.1 (`top_pr/top_pr.py`: compute_top_pr, confband_est, compact_KDE) with
its defaults, reproduced step for step: features wider than 32 projected to 32 by a bias-free linear layer
with xavier_normal_ weights drawn after torch.manual_seed(99) (float32, as the package); k = 5 x dims; the
bandwidth the lower median over rows i < n - k of the k-th smallest distance from row i to the rows after it;
the band from 10 resamples of np.random.seed(42)'s global stream (the real set's first, then the
generated set's), theta = sqrt(n) max |p_hat - p_resample|, its 1 - alpha quantile over sqrt(n). Seeded here
by private generators, so the global random state is left alone. Feature spaces of 3 or fewer dimensions
(the package's grid and persistent-homology bandwidth search) are not supported.

Interval (--bootstrap, and the paired draws of compare/check): both sets resampled, and every
data-dependent step (bandwidths, densities, bands, counts) redone on the resample in a form copies cannot
break (top_pr_bootstrap.py says how and why); the projection is kept. Coverage on toy data:
benchmarks/interval_coverage.py.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults

PROJECTED = 32  # the package's random projection width
PROJECTION_SEED = 99  # torch.manual_seed(99) before xavier_normal_
BAND_SEED = 42  # Fix_seed(42): np.random's state for the confidence bands
BAND_REPEATS = 10  # confband_est's default
_LAST: dict = {}  # the last replicates, for the other of topp/topr
MAX_N = 20_000  # the package's n x n float64 distance matrices: 3.2 GB each at 20k
CI_METHOD = (
    "bias-corrected percentile bootstrap over resamples of both sets: bandwidths, densities, confidence "
    "bands and counts recomputed on each resample, copies of a point never its own neighbours "
    "(top_pr_bootstrap.py); the projection kept"
)


def multiplicities(n: int, rng) -> np.ndarray:
    """How often each of n rows is drawn in one resample of size n."""
    return rng.multinomial(n, np.full(n, 1.0 / n))


def project(real: np.ndarray, fake: np.ndarray):
    """The package's random projection to 32 dims (float32), or the features as they are when narrower."""
    import torch

    rt = torch.as_tensor(np.asarray(real, np.float32))
    ft = torch.as_tensor(np.asarray(fake, np.float32))
    d = rt.shape[1]
    if d <= PROJECTED:
        return rt.numpy(), ft.numpy()
    std = (2.0 / (d + PROJECTED)) ** 0.5  # xavier_normal_ with gain 1: fan_in d, fan_out 32
    g = torch.Generator().manual_seed(PROJECTION_SEED)
    w = torch.empty(PROJECTED, d).normal_(0.0, std, generator=g)
    with torch.no_grad():
        return torch.nn.functional.linear(rt, w).numpy(), torch.nn.functional.linear(ft, w).numpy()


def bandwidth(x: np.ndarray, k: int) -> float:
    """The lower median over rows i < n - k of the k-th smallest distance from row i to rows i+1..n-1."""
    from scipy.spatial import distance

    dist = distance.cdist(x, x, metric="euclidean")
    balloon = np.sort([np.sort(dist[i, i + 1 :])[k - 1] for i in range(len(x) - k)])
    return float(balloon[int(len(balloon) * 0.5) - 1])


def kde(data: np.ndarray, at: np.ndarray, h: float, counts=None) -> np.ndarray:
    """Compact cosine-kernel density of `data` (rows weighted by `counts`) at the rows of `at`."""
    from sklearn.metrics.pairwise import euclidean_distances

    dist = euclidean_distances(at, data)  # float32 for float32 features, as in the package
    inside = dist**2 <= h**2
    k = np.where(inside, np.cos((np.pi / 2) * (dist.astype(np.float64) / h)), 0.0)  # float64: (pi/4h)^d is tiny
    if counts is not None:
        k = k * counts[None, :]
    return (1 / len(data)) * (np.pi / (4 * h)) ** data.shape[1] * k.sum(1)


def band(x: np.ndarray, h: float, alpha: float, rng: np.random.RandomState):
    """(confidence band c, p_hat at the data points) of confband_est."""
    p_hat = kde(x, x, h)
    theta = []
    for _ in range(BAND_REPEATS):
        idx = rng.choice(np.arange(len(x)), size=len(x), replace=True)
        theta.append(np.sqrt(len(x)) * np.max(np.abs(p_hat - kde(x[idx], x, h))))
    return float(np.quantile(theta, 1 - alpha) / np.sqrt(len(x))), p_hat


def top_pr(real: np.ndarray, fake: np.ndarray, alpha: float = 0.1) -> dict:
    return _fit(real, fake, alpha)[0]


def _fit(real: np.ndarray, fake: np.ndarray, alpha: float) -> tuple:
    """(the result, the fitted state: projected sets, bandwidths and bands) of the package's computation."""
    real, fake = project(real, fake)
    d = real.shape[1]
    if d <= 3:
        raise GanbenchError(
            f"topp/topr: {d}-d features; ganbench's TopP&R needs more than 3 dimensions (the "
            f"package's grid search for 2-3 d is not supported): use an image feature extractor"
        )
    k = 5 * d
    for side, x in (("reference", real), ("generated", fake)):
        if len(x) > MAX_N:
            raise GanbenchError(
                f"topp/topr hold {len(x):,} x {len(x):,} distance matrices of the {side} set, as the "
                f"package does: pass at most {MAX_N:,} samples a side (the paper used 10,000)"
            )
        if len(x) <= k:
            raise GanbenchError(
                f"topp/topr need more than {k} {side} samples (5 x {d} dimensions) for the "
                f"balloon bandwidth, got {len(x)}: supply more samples"
            )
    h_r, h_f = bandwidth(real, k), bandwidth(fake, k)
    rng = np.random.RandomState(BAND_SEED)  # the real set's band draws first, as in the package
    c_r, score_rr = band(real, h_r, alpha, rng)
    c_g, score_gg = band(fake, h_f, alpha, rng)
    sig_r, sig_g = score_rr > c_r, score_gg > c_g
    inter_r = np.sum(sig_r & (kde(fake, real, h_f) > c_g))  # significant real samples on the fake support
    inter_g = np.sum(sig_g & (kde(real, fake, h_r) > c_r))
    result = {
        "topp": float(inter_g / sig_g.sum()),
        "topr": float(inter_r / sig_r.sum()),
        "bandwidth_reference": h_r,
        "bandwidth_generated": h_f,
        "significant_reference": int(sig_r.sum()),
        "significant_generated": int(sig_g.sum()),
    }
    return result, (real, fake, h_r, h_f, c_r, c_g)


def replicates(gen: Features, ref: Features, opts: dict, weights, train=None) -> dict:
    """{"topp": (B,), "topr": (B,)} for resamples with the given [(ref multiplicities, gen multiplicities)]
    (top_pr_bootstrap.py)."""
    from .top_pr_bootstrap import replicates as resampled

    real, fake = project(ref.array("pool"), gen.array("pool"))
    return resampled(real, fake, weights, with_defaults(opts)["top_pr_alpha"])


def _make(name: str, summary: str) -> Metric:
    def many(gen: Features, ref: Features, opts: dict, weights, train=None) -> np.ndarray:
        digest = hashlib.sha256(b"".join(np.asarray(x, np.int64).tobytes() for pair in weights for x in pair))
        key = (digest.hexdigest(), with_defaults(opts)["top_pr_alpha"])
        last = _LAST.get("replicates")  # one pass serves both, held with its very arrays (not the caller's opts)
        if last is None or last[0] != key or last[1] is not gen.pool or last[2] is not ref.pool:
            last = _LAST["replicates"] = (key, gen.pool, ref.pool, replicates(gen, ref, opts, weights))
        return last[3][name]

    def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
        opts = with_defaults(opts)
        memo = opts.setdefault("_memo", {})
        last = memo.get("top-pr")  # one computation serves both: the last one, held with its very arrays
        if last is None or last[0] is not gen.pool or last[1] is not ref.pool or last[2] != opts["top_pr_alpha"]:
            last = memo["top-pr"] = (
                gen.pool,
                ref.pool,
                opts["top_pr_alpha"],
                top_pr(ref.array("pool"), gen.array("pool"), opts["top_pr_alpha"]),
            )
        r = last[3]
        out = MetricValue(r[name], extra={k: v for k, v in r.items() if k not in ("topp", "topr")})
        if opts["bootstrap"]:
            key = ("top-pr-weights", ref.n, gen.n, opts["bootstrap"], opts["bootstrap_seed"])
            if key not in memo:  # both metrics read one set of draws, whichever are asked
                draw = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(b"top-pr")])
                memo[key] = [
                    (multiplicities(ref.n, draw), multiplicities(gen.n, draw)) for _ in range(opts["bootstrap"])
                ]
            values = many(gen, ref, opts, memo[key])
            values = values[np.isfinite(values)]
            out.ci = percentile_ci(values, opts["confidence"], out.value, floor=0.0, ceiling=1.0)
            out.ci_method = CI_METHOD
        return out

    return register(
        Metric(
            name=name,
            summary=summary,
            reference="top-pr 0.2.1 compute_top_pr (Kim et al. 2023), its defaults",
            needs=("pool",),
            uses_ref=True,
            min_samples=lambda opts: 5 * PROJECTED + 1,
            compute=compute,
            validate=_validate,
            options={"top_pr_alpha": 0.1},  # the package's significance level of the confidence band
            better="higher",
            bounds=(0.0, 1.0),
            replicates=many,
        )
    )


def _validate(opts: dict) -> None:
    a = with_defaults(opts)["top_pr_alpha"]
    if not 0 < a < 1:
        raise GanbenchError(
            f"top_pr_alpha={a}: the band's significance level must be in (0, 1): pass e.g. "
            f"-O top_pr_alpha=0.1 (the package's)"
        )


TOPP = _make("topp", "topological precision: significant samples inside the reference's significant support")
TOPR = _make("topr", "topological recall: significant reference samples inside the samples' significant support")
