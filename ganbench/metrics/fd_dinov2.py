"""FD-DINOv2 (Stein et al. 2023): the Frechet distance on DINOv2 ViT-L/14 class-token features.

Matches dgm-eval's `fd` with `--model dinov2`: the same features (features/dinov2.py) and the
same Frechet distance, here through fid.py's exact square root.
"""

from .fid import frechet_metric

METRIC = frechet_metric(
    "fd-dinov2",
    "Frechet distance on DINOv2 ViT-L/14 features (lower is better)",
    "dgm-eval fd (model dinov2, arch vitl14)",
    "dinov2-vit-l-14",
    "FD-DINOv2",
    "fd_dinov2",
)
