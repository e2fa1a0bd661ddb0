"""FID-infinity and IS-infinity (Chong & Forsyth 2020, "Effectively Unbiased FID and Inception Score
and where to find them"): the metric extrapolated to infinitely many generated samples.

Matches the authors' `score_infinity.py` (`calculate_FID_infinity_path`, `calculate_IS_infinity`):
N takes `inf_points` (15) values `linspace(inf_min_n, n, inf_points).astype(int32)` (5,000 to all the
samples); for each, the generated features are shuffled again (cumulatively, in place, as their
`np.random.shuffle`; here a seeded RandomState) and the first N rows are scored: FID against the full
reference statistics, IS with one split. An ordinary least-squares line of the scores against 1/N is
evaluated at 1/N = 0. FID is biased by ~k/N, so the intercept compares across sample counts where
FID itself does not. `std` is the standard error of that intercept.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, Tuple

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, register, with_defaults
from .fid import compute as fid_compute
from .inception_score import inception_score

OPTIONS = {"inf_points": 15, "inf_min_n": 5000, "inf_seed": 2020}


def sample_counts(n: int, opts: dict) -> np.ndarray:
    opts = with_defaults(opts)
    return np.linspace(opts["inf_min_n"], n, opts["inf_points"]).astype("int32")


def line_fit(counts, values) -> tuple:
    """(intercept at 1/N = 0, slope, standard error of the intercept) of values ~ a + b / N."""
    x = 1.0 / np.asarray(counts, np.float64)
    y = np.asarray(values, np.float64)
    xm = x.mean()
    sxx = ((x - xm) ** 2).sum()
    if not sxx > 0:
        raise GanbenchError(
            "the extrapolation needs at least two different sample counts: supply more samples than -O inf_min_n"
        )
    b = ((x - xm) * (y - y.mean())).sum() / sxx
    a = y.mean() - b * xm
    k = len(x)
    resid = y - (a + b * x)
    se = float(np.sqrt((resid @ resid) / (k - 2) * (1.0 / k + xm * xm / sxx))) if k > 2 else float("nan")
    return float(a), float(b), se


def _scores(rows: int, opts: dict, score) -> Tuple[np.ndarray, np.ndarray]:
    counts = sample_counts(rows, opts)
    order = np.arange(rows)
    rng = np.random.RandomState(with_defaults(opts)["inf_seed"])
    values = []
    for n in counts:
        rng.shuffle(order)  # cumulative, as the reference shuffles its activations in place
        values.append(score(order[:n]))
    return counts, np.asarray(values)


def _result(counts, values, what: str) -> MetricValue:
    a, b, se = line_fit(counts, values)
    return MetricValue(
        a,
        std=se,
        std_of=f"standard error of the intercept of {what} ~ a + b/N over "
        f"{len(counts)} values of N in [{counts[0]}, {counts[-1]}]",
        extra={"slope": b, "n_min": float(counts[0]), "n_max": float(counts[-1]), "points": float(len(counts))},
    )


def compute_fid_inf(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = {**with_defaults(opts), "bootstrap": 0}
    ref.gaussian()  # once, for every N

    def fid_at(rows):
        with warnings.catch_warnings():  # small N is the point here: no rank warning per subset
            warnings.simplefilter("ignore")
            return fid_compute(Features(gen.array("pool")[rows]), ref, opts).value

    return _result(*_scores(gen.n, opts, fid_at), "FID_N")


def compute_is_inf(gen: Features, ref, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    return _result(
        *_scores(len(gen.array("logits")), opts, lambda rows: inception_score(gen.array("logits")[rows], 1, None)[0]),
        "IS_N (1 split)",
    )


def validate(opts: dict) -> None:
    opts = with_defaults(opts)
    if opts["inf_points"] < 3:
        raise GanbenchError(
            f"-O inf_points={opts['inf_points']}: the line fit needs at least 3 points (the protocol is 15)"
        )
    if opts["inf_min_n"] < 2:
        raise GanbenchError(
            f"-O inf_min_n={opts['inf_min_n']}: the smallest N must be at least 2 (the protocol is 5000)"
        )


_COMMON: Dict[str, Any] = dict(
    uses_ref=True, min_samples=lambda opts: with_defaults(opts)["inf_min_n"], validate=validate, options=OPTIONS
)
FID_INF = register(
    Metric(
        name="fid-inf",
        summary="FID extrapolated to infinitely many samples (Chong & Forsyth 2020; lower is better)",
        reference="FID_IS_infinity score_infinity.py calculate_FID_infinity (15 points, N from 5,000)",
        needs=("pool",),
        compute=compute_fid_inf,
        **_COMMON,
    ),
    "fid_inf",
    "fid-infinity",
)
IS_INF = register(
    Metric(
        name="is-inf",
        summary="IS extrapolated to infinitely many samples (Chong & Forsyth 2020; higher is better)",
        reference="FID_IS_infinity score_infinity.py calculate_IS_infinity (15 points, N from 5,000, 1 split)",
        needs=("logits",),
        compute=compute_is_inf,
        better="higher",
        **{**_COMMON, "uses_ref": False},
    ),
    "is_inf",
    "is-infinity",
)
