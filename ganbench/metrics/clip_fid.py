"""CLIP-FID (Kynkaanniemi et al. 2023): the Frechet distance on CLIP ViT-B/32 image embeddings.

Matches clean-fid's `compute_fid(..., model_name="clip_vit_b_32")`: the same embeddings
(features/clip.py) and the same Frechet distance, here through fid.py's exact square root.
"""

from __future__ import annotations

from .base import Features, Metric, MetricValue, register
from .fid import compute as frechet


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    return frechet(gen, ref, opts, rng, label="CLIP-FID")


METRIC = register(Metric(
    name="clip-fid",
    summary="Frechet distance on CLIP ViT-B/32 image embeddings (lower is better)",
    reference='clean-fid compute_fid(model_name="clip_vit_b_32")',
    needs=("stats",),
    uses_ref=True,
    min_samples=lambda opts: 2,
    compute=compute,
    extractor="clip-vit-b-32",
), "clip_fid")
