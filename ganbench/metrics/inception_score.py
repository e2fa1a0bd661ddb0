"""Inception Score (Salimans et al. 2016) from the unbiased 1008-way logits, 10 splits.

Matches torch-fidelity's `isc`: samples shuffled by RandomState(2020).permutation, split i is
rows [i*N//splits, (i+1)*N//splits), softmax in float64, score = exp(mean KL(p(y|x) || p(y))).
"""

from __future__ import annotations

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults


def _split_scores(log_p: np.ndarray, splits: int) -> np.ndarray:
    n = len(log_p)
    scores = []
    for i in range(splits):
        lp = log_p[i * n // splits : (i + 1) * n // splits]
        p = np.exp(lp)
        log_q = np.log(p.mean(axis=0))
        scores.append(np.exp((p * (lp - log_q)).sum(axis=1).mean()))
    return np.asarray(scores)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def inception_score(logits: np.ndarray, splits: int = 10, seed: int | None = 2020):
    if seed is not None:
        logits = logits[np.random.RandomState(seed).permutation(len(logits))]
    scores = _split_scores(_log_softmax(logits), splits)
    return float(scores.mean()), float(scores.std())


def compute(gen: Features, ref, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    splits = opts["is_splits"]
    mean, std = inception_score(gen.array("logits"), splits, opts["is_shuffle_seed"])
    out = MetricValue(mean, std=std, std_of=f"{splits} splits")
    n_boot = opts["bootstrap"]
    if n_boot:
        log_p = _log_softmax(gen.array("logits"))
        boots = [_split_scores(log_p[rng.integers(0, len(log_p), len(log_p))], splits).mean() for _ in range(n_boot)]
        out.ci, out.ci_method = (
            percentile_ci(boots, opts["confidence"]),
            "percentile bootstrap over resamples of the samples",
        )
    return out


METRIC = register(
    Metric(
        name="is",
        summary="Inception Score from unbiased logits, mean and std over splits (higher is better)",
        reference="torch-fidelity isc (splits=10, shuffle seed 2020)",
        needs=("logits",),
        uses_ref=False,
        min_samples=lambda opts: 2 * with_defaults(opts)["is_splits"],
        compute=compute,
        better="higher",
        bounds=(1.0, None),
        options={"is_splits": 10, "is_shuffle_seed": 2020},  # torch-fidelity's split shuffle seed
    ),
    "isc",
)
