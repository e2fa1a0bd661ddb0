"""CLIP-FID (Kynkaanniemi et al. 2023): the Frechet distance on CLIP ViT-B/32 image embeddings.

Matches clean-fid's `compute_fid(..., model_name="clip_vit_b_32")`: the same embeddings
(features/clip.py) and the same Frechet distance, here through fid.py's exact square root.
"""

from .fid import frechet_metric

METRIC = frechet_metric(
    "clip-fid",
    "Frechet distance on CLIP ViT-B/32 image embeddings (lower is better)",
    'clean-fid compute_fid(model_name="clip_vit_b_32")',
    "clip-vit-b-32",
    "CLIP-FID",
    "clip_fid",
)
