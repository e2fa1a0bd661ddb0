"""Improved precision and recall (Kynkaanniemi et al. 2019), k=3, on pool3 features.

Matches torch-fidelity's `prc`. Precision: the fraction of generated samples inside the union of
reference k-NN balls; recall: the fraction of reference samples inside generated k-NN balls.
Confidence intervals resample both sets and rebuild the balls (resampling.py, manifold_bootstrap.py).
"""

from __future__ import annotations

from .base import Features, Metric, MetricValue, register, with_defaults
from .resampling import manifold_value


def _make(name: str, field: str, summary: str, extractor: str = "inception-v3-compat") -> Metric:
    def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
        return manifold_value(field, gen, ref, opts)

    return register(
        Metric(
            name=name,
            summary=summary,
            reference="torch-fidelity prc (prc_neighborhood=3); prdc precision/recall",
            needs=("pool",),
            uses_ref=True,
            min_samples=lambda opts: with_defaults(opts)["prc_k"] + 1,
            compute=compute,
            options={"prc_k": 3},  # Kynkaanniemi et al. 2019
            extractor=extractor,
            better="higher",
            bounds=(0.0, 1.0),
        )
    )


PRECISION = _make("precision", "precision", "fraction of generated samples on the reference manifold (k-NN, k=3)")
RECALL = _make("recall", "recall", "fraction of reference samples on the generated manifold (k-NN, k=3)")

# the same in DINOv2 space, as dgm-eval reports them (Stein et al. 2023)
PRECISION_DINOV2 = _make("precision-dinov2", "precision", "precision in DINOv2 ViT-L/14 space (k=3)", "dinov2-vit-l-14")
RECALL_DINOV2 = _make("recall-dinov2", "recall", "recall in DINOv2 ViT-L/14 space (k=3)", "dinov2-vit-l-14")
