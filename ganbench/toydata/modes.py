"""Mode histograms: KL(p_gen || uniform), as reported by VEEGAN (Srivastava et al. 2017) and PacGAN
(Lin et al. 2018).

For K modes and a histogram of counts c_k (N = sum c_k > 0), p_k = c_k / N and

    KL(p || u) = sum_k p_k * log(p_k / (1/K)) = log K - H(p)      (natural log, nats)

with the convention 0 * log 0 = 0, so empty modes add nothing and the value is finite:
0 for a uniform histogram, log K when every sample falls in one mode.  With no samples at all
(N = 0) p is undefined and the result is NaN.  A perfect sampler with N samples still scores
about (K - 1) / (2 N) above 0 (the plug-in estimator's bias).
"""

from __future__ import annotations

import math

import numpy as np


def kl_to_uniform(counts) -> float:
    """KL(p || uniform) in nats of the histogram `counts` (one entry per mode, empty modes included)."""
    c = np.asarray(counts, dtype=np.float64).ravel()
    if c.size == 0 or np.any(c < 0):
        raise ValueError("counts must be a non-empty histogram of non-negative counts")
    total = c.sum()
    if total == 0:
        return float("nan")
    p = c[c > 0] / total
    return float(max(0.0, math.log(c.size) + np.sum(p * np.log(p))))
