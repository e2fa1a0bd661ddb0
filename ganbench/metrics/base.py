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
    better: str = "lower"  # "lower" or "higher": which way is an improvement (quality gates read it)
    uses_train: bool = False  # compute takes `train=` (the training set's Features, or None without --train)
    # paired metrics (psnr, ssim, lpips) compare each output with its target: (outputs, targets uint8
    # NHWC, opts) -> one value per pair; their `compute` then summarises those values (metrics/paired.py)
    pairs: Optional[Callable] = None


METRICS: Registry[Metric] = Registry("metric")


def register(metric: Metric, *aliases: str) -> Metric:
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
