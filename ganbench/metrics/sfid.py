"""Spatial FID (Nash et al. 2021): the Frechet distance on Inception's mixed_6/conv features.

Matches the guided-diffusion (ADM) evaluator (evaluations/evaluator.py): the TF graph's
`mixed_6/conv:0` activations (Mixed_6d's 1x1 branch after its ReLU, 17x17x192), first 7 channels,
flattened in (h, w, c) order to 2023-d; then the same Frechet distance as FID, here through
fid.py's exact square root. Sensitive to spatial structure that pool3's global average discards.
"""

from __future__ import annotations

from .base import Features, Metric, MetricValue, register
from .fid import compute as frechet


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    return frechet(Features(gen.extra["spatial"]), Features(ref.extra["spatial"]), opts, rng, label="sFID")


METRIC = register(
    Metric(
        name="sfid",
        summary="spatial FID: Frechet distance on mixed_6/conv features, 7 channels x 17 x 17 (lower is better)",
        reference="guided-diffusion evaluations/evaluator.py (mixed_6/conv:0[..., :7])",
        needs=("spatial",),
        uses_ref=True,
        min_samples=lambda opts: 2,
        compute=compute,
        bounds=(0.0, None),
    )
)
