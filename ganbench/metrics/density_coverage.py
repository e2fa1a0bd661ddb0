"""Density and coverage (Naeem et al. 2020), k=5, on pool3 features.

Matches the authors' `prdc` package. Density: mean number of reference k-NN balls containing
each generated sample, divided by k (can exceed 1). Coverage: fraction of reference samples
whose ball contains at least one generated sample.
"""

from __future__ import annotations

from .base import Features, Metric, MetricValue, register, with_defaults
from .resampling import manifold_value


def _make(name: str, summary: str, extractor: str = "inception-v3-compat") -> Metric:
    field = name.split("-")[0]

    def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
        return manifold_value(field, gen, ref, opts)

    return register(
        Metric(
            name=name,
            summary=summary,
            reference="prdc compute_prdc (nearest_k=5)",
            needs=("pool",),
            uses_ref=True,
            min_samples=lambda opts: with_defaults(opts)["dc_k"] + 1,
            compute=compute,
            options={"dc_k": 5},  # Naeem et al. 2020
            extractor=extractor,
            better="higher",
            bounds=(0.0, None if field == "density" else 1.0),
        )
    )


DENSITY = _make("density", "how densely generated samples fill reference k-NN balls (k=5; 1 = as real data)")
COVERAGE = _make("coverage", "fraction of reference k-NN balls (k=5) reached by a generated sample")
DENSITY_DINOV2 = _make("density-dinov2", "density in DINOv2 ViT-L/14 space (k=5)", "dinov2-vit-l-14")
COVERAGE_DINOV2 = _make("coverage-dinov2", "coverage in DINOv2 ViT-L/14 space (k=5)", "dinov2-vit-l-14")
