"""CLIP image embeddings (Radford et al. 2021): ViT-B/32 as clean-fid's `model_name="clip_vit_b_32"` takes them
(CLIP-FID), and ViT-L/14 at 336 px as CMMD takes them (Jayasumana et al. 2024; `L14_336` below).

Kynkaanniemi et al. 2023 ("The Role of ImageNet Classes in Frechet Inception Distance") report
FID in this space beside Inception's. Preprocessing as clean-fid (cleanfid/clip_features.py):
PIL bicubic resize of the shorter side to 224, centre crop 224, /255, CLIP's mean/std, then
`encode_image` in float32 (clean-fid on CUDA runs the model in float16; ganbench does not).
The network is open_clip's (`pip install ganbench[clip]`), built from the OpenAI state dict.

Weights: --weights-for clip=PATH (a state dict, .pt loaded with weights_only=True, or
.safetensors), GANBENCH_CLIP_WEIGHTS, the cache, or OpenAI's release, whose sha256 is its
URL's path; only that exact file, checksum-verified, is opened as a TorchScript archive.

ViT-L/14@336px (`clip-vit-l-14-336`, --weights-for clip-vit-l-14-336=PATH or GANBENCH_CLIP_L14_336_WEIGHTS):
preprocessed as sayakpaul/cmmd-pytorch io_util.py (f7673a9f) and google-research cmmd/io_util.py do: the
centred largest square cropped first, then PIL bicubic to 336 (their later torch bicubic resize to the same
size is the identity), /255, CLIP's mean/std; `encode_image` = CLIPVisionModelWithProjection's image_embeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from ..device import inference_mode, pick_device
from ..errors import GanbenchError
from . import weightfiles
from .weightfiles import KnownFile, Weights, WeightsSpec

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
BASE_URL = "https://openaipublic.azureedge.net/clip/models"


@dataclass(frozen=True)
class Variant:
    """One CLIP image tower: its extractor name, embedding width, input size, official file, preprocessing."""

    name: str
    dim: int
    size: int
    sha256: str  # OpenAI's release: the sha256 is its URL's path
    filename: str
    env: str
    vision: Dict[str, tuple] = field(default_factory=dict)  # state-dict shapes that make it this architecture
    crop_first: bool = False  # CMMD: centre square crop, then resize; clean-fid: resize the short side, then crop
    resize: str = ""
    arch: str = ""

    @property
    def url(self) -> str:
        return f"{BASE_URL}/{self.sha256}/{self.filename}"


B32 = Variant(
    "clip-vit-b-32",
    512,
    224,
    "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
    "ViT-B-32.pt",
    "GANBENCH_CLIP_WEIGHTS",
    {"visual.conv1.weight": (768, 3, 32, 32), "visual.proj": (768, 512)},
    resize="clip-bicubic-224-center-crop",
    arch="ViT-B/32",
)
L14_336 = Variant(
    "clip-vit-l-14-336",
    768,
    336,
    "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02",
    "ViT-L-14-336px.pt",
    "GANBENCH_CLIP_L14_336_WEIGHTS",
    {"visual.conv1.weight": (1024, 3, 14, 14), "visual.proj": (1024, 768)},
    crop_first=True,
    resize="cmmd-center-crop-bicubic-336",
    arch="ViT-L/14@336px",
)

# ViT-B/32's, by their old names
NAME, DIM, SIZE = B32.name, B32.dim, B32.size
OFFICIAL_SHA256, OFFICIAL_URL, FILENAME, ENV, VISION = B32.sha256, B32.url, B32.filename, B32.env, B32.vision


def _spec(variant: Variant = B32) -> WeightsSpec:
    option = "--weights-for clip" if variant is B32 else f"--weights-for {variant.name}"
    return WeightsSpec(
        extractor=variant.name,
        what="CLIP weights",
        option=option,
        env=variant.env,
        known=(KnownFile(variant.sha256, variant.filename, "OpenAI", ("pool",), urls=(variant.url,)),),
        hint=f"download {variant.url} elsewhere and pass it with {option}=FILE (or set {variant.env})",
    )


def resolve_weights(weights=None, variant: Variant = B32) -> Weights:
    return weightfiles.resolve(_spec(variant), weights)


def resolve_path(weights=None, variant: Variant = B32) -> Path:
    return resolve_weights(weights, variant).path


def load_state_dict(path: Path, sha256: str, variant: Variant = B32) -> dict:
    """The OpenAI-layout state dict, without unpickling code."""
    import torch

    try:
        if sha256 == variant.sha256:  # OpenAI's TorchScript release, verified byte for byte
            state = torch.jit.load(str(path), map_location="cpu").state_dict()
        elif path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure here means a bad file
        raise GanbenchError(
            f"cannot load CLIP weights {path}: it is not a state dict ganbench loads without running "
            f"code ({type(e).__name__}); pass OpenAI's {variant.filename} or a .safetensors state "
            f"dict"
        ) from None
    if not isinstance(state, dict):
        raise GanbenchError(f"CLIP weights {path} hold no state dict; pass OpenAI's {variant.filename}")
    wrong = [k for k, shape in variant.vision.items() if k not in state or tuple(state[k].shape) != shape]
    if wrong:
        raise GanbenchError(
            f"{path} is not a CLIP {variant.arch} state dict ({wrong[0]} missing or of another shape); "
            f"pass OpenAI's {variant.filename}"
        )
    return state


def preprocess(image: np.ndarray, variant: Variant = B32) -> np.ndarray:
    """(H,W,3) uint8 -> (size,size,3) uint8. clean-fid's (B/32): torchvision's Resize(size, BICUBIC) on a PIL
    image, then CenterCrop(size); CMMD's (L/14@336): the centred square crop, then PIL bicubic to size."""
    from PIL import Image

    size = variant.size
    im = Image.fromarray(image)
    w, h = im.size
    if variant.crop_first:
        side = min(w, h)
        top, left = (h - side) // 2, (w - side) // 2
        im = im.crop((left, top, left + side, top + side))
        return np.asarray(im if im.size == (size, size) else im.resize((size, size), Image.Resampling.BICUBIC))
    if w <= h:
        new = (size, int(size * h / w))
    else:
        new = (int(size * w / h), size)
    if new != (w, h):
        im = im.resize(new, Image.Resampling.BICUBIC)
    w, h = im.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return np.asarray(im.crop((left, top, left + size, top + size)))


class ClipExtractor:
    """CLIP image embeddings (float32): ViT-B/32's 512-d (CLIP-FID) or ViT-L/14@336's 768-d (CMMD)."""

    def __init__(self, weights=None, device=None, max_batch: Optional[int] = None, variant: Variant = B32):
        import torch

        try:
            from open_clip.model import build_model_from_openai_state_dict
        except ImportError:
            raise GanbenchError("CLIP features need open_clip: pip install 'ganbench[clip]'") from None
        self.variant = variant
        self.name, self.dims = variant.name, {"pool": variant.dim}
        self.weights = resolve_weights(weights, variant)
        path, self.sha256 = self.weights.path, self.weights.sha256
        self.device = pick_device(device)
        state = load_state_dict(path, self.sha256, variant)
        model = build_model_from_openai_state_dict(state, cast_dtype=torch.float32)
        self.model = model.float().eval().requires_grad_(False).to(self.device)
        self.preferred_batch = int(max_batch or (64 if variant is B32 else 16))
        self.mean = torch.tensor(MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(STD, device=self.device).view(1, 3, 1, 1)

    def describe(self) -> dict:
        return {
            "extractor": self.name,
            "weights_sha256": self.sha256,
            "weights_official": self.weights.official,
            "resize": self.variant.resize,
            "dtype": "float32",
        }

    @inference_mode
    def __call__(self, images) -> Tuple[np.ndarray]:
        import torch

        batch = np.stack([preprocess(np.asarray(im), self.variant) for im in images])
        x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        return (self.model.encode_image((x - self.mean) / self.std).float().cpu().numpy(),)
