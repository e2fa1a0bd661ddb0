"""Authenticity percentage (dgm-eval's `authpct`, after the authenticity test of Alaa et al. 2022): the
percentage of generated samples x whose nearest real image r is closer to r's own nearest other real image
than to x, d(r, NN_real(r)) < d(r, x). A copy of a real image (d(r, x) = 0) is never authentic, so a
generator that copies its training set scores ~0; real data itself scores ~50 against another real set.

Reference: dgm-eval `dgm_eval/metrics/authpct.py` (from marcojira/fls `metrics/AuthPct.py`) at
74c79f7527fbf38fdccfbac51f25d759bc02ab07: the strict comparison, the result in percent (0-100). dgm-eval
scores against its reference set, the training set; here against --train when given, else --ref. Distances
from the one k-NN engine (knn.py), exact in float64 and exactly 0 for copies. With --bootstrap both sets
are resampled; a resampled real point's own copies are not its neighbours.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults


def authenticity(gen: np.ndarray, real: np.ndarray):
    """(per generated sample: authentic?, its nearest real index, each real's nearest-other-real k=8 table)."""
    from .knn import knn

    d_gen, i_gen = knn(gen, real, 1)
    k = min(8, len(real) - 1)
    d_real, i_real = knn(real, None, k)  # more than one neighbour: a bootstrap may not draw the first
    return d_real[i_gen[:, 0], 0] < d_gen[:, 0], i_gen[:, 0], d_real, i_real, d_gen[:, 0]


def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Optional[Features] = None) -> MetricValue:
    opts = with_defaults(opts)
    pool, real = gen.array("pool"), (train if train is not None else ref).array("pool")
    authentic, nearest, d_real, i_real, d_gen = authenticity(pool, real)
    out = MetricValue(100.0 * float(authentic.mean()), extra={"against": "train" if train is not None else "reference"})
    if opts["bootstrap"]:
        values = []
        for _ in range(opts["bootstrap"]):
            w = rng.multinomial(len(real), np.full(len(real), 1 / len(real)))  # real multiplicities
            v = rng.multinomial(len(pool), np.full(len(pool), 1 / len(pool)))
            # each real point's nearest other drawn real point (among its 8 nearest; rarely none: then inf)
            drawn = w[i_real] > 0
            own = np.where(drawn.any(1), d_real[np.arange(len(real)), drawn.argmax(1)], np.inf)
            # a generated sample's nearest real point must be drawn too: recompute only where it is not
            ok = w[nearest] > 0
            auth = authentic.copy()
            if not ok.all():
                from .knn import knn

                keep = np.flatnonzero(w > 0)
                d2, i2 = knn(pool[~ok], real[keep], 1)
                auth[~ok] = own[keep[i2[:, 0]]] < d2[:, 0]
            auth[ok] = own[nearest[ok]] < d_gen[ok]
            values.append(100.0 * (v * auth).sum() / v.sum())
        out.ci = percentile_ci(values, opts["confidence"], out.value, floor=0.0, ceiling=100.0)
        out.ci_method = "bias-corrected percentile bootstrap over resamples of both sets"
    return out


METRIC = register(
    Metric(
        name="authpct",
        summary="percentage of samples farther from their nearest real image than it is from its own (copies: 0)",
        reference="dgm-eval compute_authpct (Alaa et al. 2022 authenticity; marcojira/fls AuthPct)",
        needs=("pool",),
        uses_ref=True,
        min_samples=lambda opts: 2,
        compute=compute,
        better="higher",
        bounds=(0.0, 100.0),
        uses_train=True,
    )
)
