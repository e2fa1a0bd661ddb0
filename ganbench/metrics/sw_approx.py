"""Approximate sliced Wasserstein-2 distance (dgm-eval's `sw_approx`): the closed form of Nadjahi et al.
2021 (arXiv 2106.15427) for high dimension, without Monte-Carlo projections:
    SW2 ~ sqrt( |m_X - m_Y|^2 / d + (sqrt(E|X - m_X|^2 / d) - sqrt(E|Y - m_Y|^2 / d))^2 ).
It sees a shifted mean and a wrong overall spread, nothing finer (no covariance shape).

Reference: dgm-eval `dgm_eval/metrics/sw.py` at 74c79f7527fbf38fdccfbac51f25d759bc02ab07 (`sw_approx(X, Y)`,
X the reference, Y the samples; symmetric). Computed here in float64. With --bootstrap both sets are
resampled (bias-corrected, like FID's: resampling shrinks the spread terms). With the classes of both
sets (--labels, --ref-labels), each class's value is in `extra`.
"""

from __future__ import annotations

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults
from .intra_fid import class_extra


def sw_approx(x: np.ndarray, y: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    d = x.shape[1]
    mx, my = x.mean(0), y.mean(0)
    mean_term = ((mx - my) ** 2).sum() / d
    sx = ((x - mx) ** 2).sum(1).mean() / d
    sy = ((y - my) ** 2).sum(1).mean() / d
    return float(np.sqrt(mean_term + (np.sqrt(sx) - np.sqrt(sy)) ** 2))


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    out = MetricValue(
        sw_approx(ref.array("pool"), gen.array("pool")),
        extra=class_extra(gen, ref, "sw-approx", lambda g, r: sw_approx(r, g), need=1),
    )
    if opts["bootstrap"]:
        values = [
            sw_approx(
                ref.array("pool")[rng.integers(0, ref.n, ref.n)], gen.array("pool")[rng.integers(0, gen.n, gen.n)]
            )
            for _ in range(opts["bootstrap"])
        ]
        out.ci = percentile_ci(values, opts["confidence"], out.value)
        out.ci_method = "bias-corrected percentile bootstrap, both sets resampled"
    return out


METRIC = register(
    Metric(
        name="sw-approx",
        summary="approximate sliced Wasserstein-2 distance, closed form of the means and spreads (lower is better)",
        reference="dgm-eval sw_approx (Nadjahi et al. 2021, arXiv 2106.15427)",
        needs=("pool",),
        uses_ref=True,
        min_samples=lambda opts: 1,
        compute=compute,
        bounds=(0.0, None),
    ),
    "sw_approx",
)
