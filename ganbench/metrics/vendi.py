"""Vendi score (Friedman & Dieng 2023): the exponential of the order-q entropy of the eigenvalues of K/n,
K the cosine kernel of the samples' L2-normalised features; 1 for n identical samples, n for n orthogonal
ones. Reads the samples only (no reference).

Reference: the `vendi-score` package 0.0.3 (`vendi_score/vendi.py`: score_X, score_dual, entropy_q) and
dgm-eval `dgm_eval/metrics/vendi.py` at 74c79f7527fbf38fdccfbac51f25d759bc02ab07 (linear kernel on
sklearn-normalised features, q = 1; `compute_per_class_vendi_scores` for its "mean vendi per class").

Here always the d x d dual form X^T X / n, whose non-zero eigenvalues are those of the n x n K/n (so
the value is the same, and n may be large). Eigenvalues below the matrix's rounding level (max * size *
eps) are dropped: they are zeros, and for q < 1 rounding noise in them would change the value.
`vendi` puts each class's score in `extra` when labels are given; `class-vendi` is dgm-eval's mean over
classes. With --bootstrap, the samples are resampled (a copy adds no diversity, so the interval is
bias-corrected like FID's).
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults


def entropy_q(w: np.ndarray, q) -> float:
    """Order-q Renyi entropy of the eigenvalue distribution `w` (sums to 1): Shannon at q = 1."""
    q = float(q)
    if np.isinf(q):
        return float(-np.log(w.max()))
    if q == 1:
        return float(-(w * np.log(w)).sum())
    return float(np.log((w**q).sum()) / (1 - q))


def _eigenvalues(x: np.ndarray, weights=None) -> np.ndarray:
    """Non-zero eigenvalues of K/n for the rows of `x` (already normalised), each row counted `weights` times."""
    n = len(x) if weights is None else weights.sum()
    s = x.T @ x if weights is None else (x * weights[:, None]).T @ x
    w = np.linalg.eigvalsh(s / n)
    tol = w.max() * max(s.shape) * np.finfo(np.float64).eps
    return w[w > tol]


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows over their L2 norms (all-zero rows stay zero, as sklearn.preprocessing.normalize leaves them)."""
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm == 0, 1.0, norm)


def vendi_score(x: np.ndarray, q=1, weights=None) -> float:
    return float(np.exp(entropy_q(_eigenvalues(normalise(x), weights), q)))


def _q(opts: dict) -> float:
    return float(opts["vendi_q"])


def _shown(q: float):
    return "inf" if np.isinf(q) else q  # a record is JSON, which has no infinity


def validate(opts: dict) -> None:
    q = with_defaults(opts)["vendi_q"]
    try:
        ok = float(q) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise GanbenchError(
            f"vendi_q={q!r}: the order of the Vendi score must be a number >= 0 or inf: "
            f"pass e.g. -O vendi_q=1 (the paper's), 0.5, 2 or inf"
        )


def _per_class(gen: Features, q) -> dict:
    return {
        str(k): vendi_score(gen.array("pool")[gen.array("labels") == k], q)
        for k in np.unique(gen.array("labels")).tolist()
    }


def _interval(out: MetricValue, parts, q, opts: dict, rng) -> None:
    """Resample the rows of each part (the whole set, or each class); the value is the mean over parts."""
    xs = [normalise(p) for p in parts]
    values = []
    for _ in range(opts["bootstrap"]):
        values.append(
            np.mean(
                [
                    np.exp(
                        entropy_q(
                            _eigenvalues(x, rng.multinomial(len(x), np.full(len(x), 1 / len(x))).astype(np.float64)), q
                        )
                    )
                    for x in xs
                ]
            )
        )
    out.ci = percentile_ci(values, opts["confidence"], out.value, floor=1.0)
    out.ci_method = "bias-corrected percentile bootstrap over resamples of the samples" + (
        " within each class" if len(xs) > 1 else ""
    )


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    q = _q(opts)
    out = MetricValue(vendi_score(gen.array("pool"), q), extra={"q": _shown(q)})
    if gen.labels is not None:
        out.extra.update(per_class=_per_class(gen, q), classes=int(len(np.unique(gen.labels))))
    if opts["bootstrap"]:
        _interval(out, [gen.pool], q, opts, rng)
    return out


def compute_per_class(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    if gen.labels is None:
        raise GanbenchError("class-vendi needs the samples' classes: pass --labels")
    q = _q(opts)
    per = _per_class(gen, q)
    out = MetricValue(
        float(np.mean(list(per.values()))),
        extra={"q": _shown(q), "per_class": per, "classes": len(per), "overall": vendi_score(gen.array("pool"), q)},
    )
    if opts["bootstrap"]:
        _interval(out, [gen.array("pool")[gen.array("labels") == int(k)] for k in per], q, opts, rng)
    return out


METRIC = register(
    Metric(
        name="vendi",
        summary="Vendi score: effective number of distinct samples (cosine kernel, q=1; higher is more diverse)",
        reference="vendi-score 0.0.3 score_dual / dgm-eval compute_vendi_score (Friedman & Dieng 2023)",
        needs=("pool",),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute,
        validate=validate,
        options={"vendi_q": 1.0},  # the paper's Shannon entropy; any q >= 0, inf
        better="higher",
        bounds=(1.0, None),
    )
)

CLASS_METRIC = register(
    Metric(
        name="class-vendi",
        summary="mean over the samples' classes of each class's Vendi score (dgm-eval's 'mean vendi per class')",
        reference="dgm-eval compute_per_class_vendi_scores (mean), Friedman & Dieng 2023",
        needs=("pool", "labels"),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute_per_class,
        validate=validate,
        options={"vendi_q": 1.0},
        better="higher",
        bounds=(1.0, None),
    ),
    "class_vendi",
)
