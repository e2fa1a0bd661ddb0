"""Per-class precision, recall, density and coverage: each metric of precision_recall.py and
density_coverage.py computed between the samples of class k and the reference images of class k, then
averaged over the samples' classes, with the per-class values in the record's `extra` (the per-class
reading of Kynkaanniemi et al. 2019 and Naeem et al. 2020 that conditional models are judged by: a
class drawn as another class's images scores a low precision of its own). One k-NN pass per class
serves all four. With --bootstrap, both sets are resampled within each class and the k-NN pass redone
(manifold_bootstrap.replicates per class: k-NN balls rebuilt per replicate, copies not neighbours), the
mean over classes taken per replicate; one set of replicates serves all four metrics.
"""

from __future__ import annotations

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults
from .intra_fid import class_parts
from .resampling import CI_METHOD

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


def class_replicates(gen: Features, ref: Features, opts: dict, metric: str) -> dict:
    """{field: (n_boot,) means over classes}, memoised for the evaluation like `per_class`."""
    import zlib

    from .manifold_bootstrap import replicates

    memo = opts.setdefault("_memo", {})
    n_boot = opts["bootstrap"]
    key = (
        "class-manifold-bootstrap",
        id(gen.pool),
        id(ref.pool),
        id(gen.labels),
        id(ref.labels),
        opts["prc_k"],
        opts["dc_k"],
        n_boot,
        opts["bootstrap_seed"],
    )
    if key not in memo:
        k = max(opts["prc_k"], opts["dc_k"])
        parts = class_parts(gen, ref, metric, need=k + 1, hint=" or lower -O prc_k / -O dc_k")
        rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(b"class-manifolds")])
        reps = [replicates(g, r, opts["prc_k"], opts["dc_k"], n_boot, rng) for g, r in parts.values()]
        memo[key] = {f: np.mean([rep[f] for rep in reps], axis=0) for f in FIELDS}
    return memo[key]


def _make(field: str) -> Metric:
    name = f"class-{field}"

    def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
        opts = with_defaults(opts)
        values = {c: float(np.mean(getattr(m, field))) for c, m in per_class(gen, ref, opts, name).items()}
        value = float(np.mean(list(values.values())))
        out = MetricValue(value, extra={"per_class": {str(c): v for c, v in values.items()}, "classes": len(values)})
        if opts["bootstrap"]:
            boot = class_replicates(gen, ref, opts, name)
            out.ci = percentile_ci(
                boot[field], opts["confidence"], value, floor=0.0, ceiling=None if field == "density" else 1.0
            )
            out.ci_method = CI_METHOD + ", within each class; the mean over classes per replicate"
        return out

    return register(
        Metric(
            name=name,
            summary=f"mean over classes of the {field} between class-k samples and class-k reference images",
            reference=f"{field} (torch-fidelity prc / prdc) within each class",
            needs=("pool", "labels"),
            uses_ref=True,
            min_samples=lambda opts: max(with_defaults(opts)["prc_k"], with_defaults(opts)["dc_k"]) + 1,
            compute=compute,
            options={"prc_k": 3} if field in ("precision", "recall") else {"dc_k": 5},
            better="higher",
            bounds=(0.0, None if field == "density" else 1.0),
        )
    )


METRICS_BY_FIELD = {f: _make(f) for f in FIELDS}
