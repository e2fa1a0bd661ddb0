"""What a metric is: a name, the features it reads, its minimum sample count and a compute function.

Each metric module registers itself in `METRICS`; `ganbench.metrics.list_metrics()` shows them.
Result keys are constant: a metric named ``fid`` always reports ``fid`` (value, spread, CI).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from ..features.featureset import FeatureSet
from ..registry import Registry


@dataclass
class MetricValue:
    value: float
    std: Optional[float] = None  # the protocol's own spread (IS splits, KID subsets)
    std_of: Optional[str] = None  # what `std` is the spread of
    ci: Optional[Tuple[float, float]] = None  # bootstrap confidence interval
    ci_method: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)  # floats, or per-class tables and lists

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["ci"] is not None:
            d["ci"] = [float(d["ci"][0]), float(d["ci"][1])]
        return d


Features = FeatureSet  # one type for one side of a comparison (features/featureset.py)


@dataclass
class Metric:
    name: str
    summary: str
    reference: str  # the implementation it matches, named
    needs: Tuple[
        str, ...
    ]  # which parts of Features it reads, e.g. ("pool",) or ("stats",); "train": --train is required
    uses_ref: bool
    min_samples: Callable[[dict], int]
    compute: Callable[..., MetricValue]  # (gen: Features, ref: Features|None, opts: dict, rng) -> MetricValue
    validate: Optional[Callable[[dict], None]] = None  # refuses bad options before any extraction
    options: Dict[str, Any] = field(default_factory=dict)  # the metric's own options and their defaults
    extractor: str = "inception-v3-compat"  # the feature space it reads (ganbench.features.extractors)
    # which way is an improvement: "lower", "higher", or "zero" (a signed score whose ideal is 0, such as
    # a Z: compared and gated by its distance from 0, |value|); gates and boards read it through badness()
    better: str = "lower"
    # the range of its values, (low, high) with None for unbounded: a single model's interval is clipped to it
    bounds: Tuple[Optional[float], Optional[float]] = (None, None)
    uses_train: bool = False  # compute takes `train=` (the training set's Features, or None without --train)
    # paired metrics (psnr, ssim, lpips) compare each output with its target: (outputs, targets uint8
    # NHWC, opts) -> one value per pair; their `compute` then summarises those values (metrics/paired.py)
    pairs: Optional[Callable] = None
    # a metric whose resampled copies would break it (topp, topr, fld) gives its own replicates:
    # (gen, ref, opts, weights, train=) -> (B,) values, weights [(ref multiplicities or None, gen
    # multiplicities)] per replicate; its --bootstrap interval and the gates' paired draws both use it
    replicates: Optional[Callable] = None


METRICS: Registry[Metric] = Registry("metric")

BETTER = ("lower", "higher", "zero")


def badness(better: str, x):
    """`x` on one lower-is-better scale: x, -x or |x| for "lower", "higher" and "zero" metrics."""
    if better not in BETTER:
        raise ValueError(f"better={better!r}: one of {BETTER}")
    x = np.asarray(x, np.float64)
    return x if better == "lower" else (-x if better == "higher" else np.abs(x))


def reading(better: str, x):
    """What a comparison of the metric compares: |x| for a metric whose ideal is 0, else x itself."""
    return np.abs(np.asarray(x, np.float64)) if better == "zero" else np.asarray(x, np.float64)


def abs_interval(lo: float, hi: float) -> tuple[float, float]:
    """The interval of |x| from an interval [lo, hi] of x (one holding 0 starts at 0)."""
    if lo >= 0:
        return float(lo), float(hi)
    if hi <= 0:
        return float(-hi), float(-lo)
    return 0.0, float(max(-lo, hi))


def register(metric: Metric, *aliases: str) -> Metric:
    if metric.better not in BETTER:
        raise ValueError(f"{metric.name}: better={metric.better!r}, expected one of {BETTER}")
    METRICS.add(metric.name, metric, *aliases)
    return metric


def with_defaults(opts: dict) -> dict:
    """`opts` over the defaults table (the engine's and every metric's own); the `_memo` scratch dict
    (if any) stays shared."""
    from ..defaults import ENGINE

    return {**ENGINE, **metric_options(), **opts}


def metric_options() -> Dict[str, object]:
    """Every registered metric's options with their defaults (a name shared by two metrics, such as
    prc_k for precision and recall, must have one default)."""
    out: Dict[str, object] = {}
    for _name, m in METRICS.items():
        for k, v in m.options.items():
            if k in out and out[k] != v:
                raise ValueError(f"option {k!r} has two defaults ({out[k]!r}, {v!r})")
            out[k] = v
    return out


def percentile_ci(
    samples,
    confidence: float,
    estimate: Optional[float] = None,
    floor: Optional[float] = 0.0,
    ceiling: Optional[float] = None,
) -> Tuple[float, float]:
    """Percentile bootstrap interval; with `estimate`, shifted by the bootstrap bias (mean of
    resamples - estimate), for statistics that resampling biases: FID upwards (copies look alike),
    coverage and recall downwards (a resample holds only ~63% distinct points). `floor` and `ceiling`
    bound the shifted ends to the metric's range (FID is never negative, precision never above 1)."""
    x = np.asarray(samples, dtype=np.float64)
    a = (1 - confidence) / 2
    lo, hi = np.quantile(x, [a, 1 - a])
    if estimate is not None:
        bias = x.mean() - estimate
        lo, hi = lo - bias, hi - bias
        if floor is not None:
            lo = max(lo, floor)
        if ceiling is not None:
            hi = min(hi, ceiling)
    return float(lo), float(hi)
