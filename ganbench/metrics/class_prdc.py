"""Per-class precision, recall, density and coverage: each metric of precision_recall.py and
density_coverage.py computed between the samples of class k and the reference images of class k, then
averaged over the samples' classes, with the per-class values in the record's `extra` (the per-class
reading of Kynkaanniemi et al. 2019 and Naeem et al. 2020 that conditional models are judged by: a
class drawn as another class's images scores a low precision of its own). One k-NN pass per class
serves all four. No bootstrap interval yet.
"""

from __future__ import annotations

import numpy as np

from .base import Features, Metric, MetricValue, register, with_defaults
from .intra_fid import class_parts

FIELDS = ("precision", "recall", "density", "coverage")


def per_class(gen: Features, ref: Features, opts: dict, metric: str) -> dict:
    """{class: Manifolds} of every class of the samples, memoised for the evaluation."""
    from .manifold import manifolds  # torch: imported when computed, not when registered

    memo = opts.setdefault("_memo", {})
    key = ("class-manifolds", id(gen.pool), id(ref.pool), id(gen.labels), id(ref.labels), opts["prc_k"], opts["dc_k"])
    if key not in memo:
        k = max(opts["prc_k"], opts["dc_k"])
        parts = class_parts(gen, ref, metric, need=k + 1, hint=" or lower -O prc_k / -O dc_k")
        memo[key] = {c: manifolds(g, r, opts["prc_k"], opts["dc_k"]) for c, (g, r) in parts.items()}
    return memo[key]


def _make(field: str) -> Metric:
    name = f"class-{field}"

    def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
        opts = with_defaults(opts)
        values = {c: float(np.mean(getattr(m, field))) for c, m in per_class(gen, ref, opts, name).items()}
        return MetricValue(float(np.mean(list(values.values()))),
                           extra={"per_class": {str(c): v for c, v in values.items()}, "classes": len(values)})

    return register(Metric(
        name=name, summary=f"mean over classes of the {field} between class-k samples and class-k reference images",
        reference=f"{field} (torch-fidelity prc / prdc) within each class",
        needs=("pool", "labels"), uses_ref=True,
        min_samples=lambda opts: max(with_defaults(opts)["prc_k"], with_defaults(opts)["dc_k"]) + 1,
        compute=compute,
        options={"prc_k": 3} if field in ("precision", "recall") else {"dc_k": 5},
        better="higher",
    ))


METRICS_BY_FIELD = {f: _make(f) for f in FIELDS}
