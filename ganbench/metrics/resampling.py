"""Bootstrap helpers shared by the metrics."""

from __future__ import annotations

import numpy as np

from .base import MetricValue, percentile_ci


def mean_with_ci(per_sample: np.ndarray, opts: dict, rng) -> MetricValue:
    x = np.asarray(per_sample, dtype=np.float64)
    out = MetricValue(float(x.mean()))
    n_boot = opts.get("bootstrap", 0)
    if n_boot:
        boots = [x[rng.integers(0, len(x), len(x))].mean() for _ in range(n_boot)]
        out.ci = percentile_ci(boots, opts.get("confidence", 0.95))
        out.ci_method = "percentile bootstrap over per-sample indicators (k-NN balls fixed)"
    return out
