"""FD-DINOv2 (Stein et al. 2023): the Frechet distance on DINOv2 ViT-L/14 class-token features.

Matches dgm-eval's `fd` with `--model dinov2`: the same features (features/dinov2.py) and the
same Frechet distance, here through fid.py's exact square root.
"""

from __future__ import annotations

from .base import Features, Metric, MetricValue, register
from .fid import compute as frechet


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    return frechet(gen, ref, opts, rng, label="FD-DINOv2")


METRIC = register(Metric(
    name="fd-dinov2",
    summary="Frechet distance on DINOv2 ViT-L/14 features (lower is better)",
    reference="dgm-eval fd (model dinov2, arch vitl14)",
    needs=("stats",),
    uses_ref=True,
    min_samples=lambda opts: 2,
    compute=compute,
    extractor="dinov2-vit-l-14",
), "fd_dinov2")
