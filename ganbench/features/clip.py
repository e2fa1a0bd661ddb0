"""CLIP ViT-B/32 image embeddings (Radford et al. 2021), as clean-fid's `model_name="clip_vit_b_32"` takes them.

Kynkaanniemi et al. 2023 ("The Role of ImageNet Classes in Frechet Inception Distance") report
FID in this space beside Inception's. Preprocessing as clean-fid (cleanfid/clip_features.py):
PIL bicubic resize of the shorter side to 224, centre crop 224, /255, CLIP's mean/std, then
`encode_image` in float32 (clean-fid on CUDA runs the model in float16; ganbench does not).
The network is open_clip's (`pip install ganbench[clip]`), built from the OpenAI state dict.

Weights: --weights-for clip=PATH (a state dict, .pt loaded with weights_only=True, or
.safetensors), GANBENCH_CLIP_WEIGHTS, the cache, or OpenAI's release, whose sha256 is its
URL's path; only that exact file, checksum-verified, is opened as a TorchScript archive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from ..device import inference_mode, pick_device
from ..errors import GanbenchError
from . import weightfiles
from .weightfiles import KnownFile, Weights, WeightsSpec

NAME = "clip-vit-b-32"
DIM = 512
SIZE = 224
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
OFFICIAL_SHA256 = "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"
OFFICIAL_URL = f"https://openaipublic.azureedge.net/clip/models/{OFFICIAL_SHA256}/ViT-B-32.pt"
FILENAME = "ViT-B-32.pt"
ENV = "GANBENCH_CLIP_WEIGHTS"
VISION = {"visual.conv1.weight": (768, 3, 32, 32), "visual.proj": (768, DIM)}  # what makes it ViT-B/32


def _spec() -> WeightsSpec:
    return WeightsSpec(
        extractor=NAME, what="CLIP weights", option="--weights-for clip", env=ENV,
        known=(KnownFile(OFFICIAL_SHA256, FILENAME, "OpenAI", ("pool",), urls=(OFFICIAL_URL,)),),
        hint=f"download {OFFICIAL_URL} elsewhere and pass it with --weights-for clip=FILE (or set {ENV})")


def resolve_weights(weights=None) -> Weights:
    return weightfiles.resolve(_spec(), weights)


def resolve_path(weights=None) -> Path:
    return resolve_weights(weights).path


def load_state_dict(path: Path, sha256: str) -> dict:
    """The OpenAI-layout state dict, without unpickling code."""
    import torch

    try:
        if sha256 == OFFICIAL_SHA256:  # OpenAI's TorchScript release, verified byte for byte
            state = torch.jit.load(str(path), map_location="cpu").state_dict()
        elif path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure here means a bad file
        raise GanbenchError(f"cannot load CLIP weights {path}: it is not a state dict ganbench loads without running "
                            f"code ({type(e).__name__}); pass OpenAI's {FILENAME} or a .safetensors state dict") from None
    if not isinstance(state, dict):
        raise GanbenchError(f"CLIP weights {path} hold no state dict; pass OpenAI's {FILENAME}")
    wrong = [k for k, shape in VISION.items() if k not in state or tuple(state[k].shape) != shape]
    if wrong:
        raise GanbenchError(f"{path} is not a CLIP ViT-B/32 state dict ({wrong[0]} missing or of another shape); "
                            f"pass OpenAI's {FILENAME}")
    return state


def preprocess(image: np.ndarray) -> np.ndarray:
    """(H,W,3) uint8 -> (224,224,3) uint8: torchvision's Resize(224, BICUBIC) on a PIL image, then CenterCrop(224)."""
    from PIL import Image

    im = Image.fromarray(image)
    w, h = im.size
    if w <= h:
        size = (SIZE, int(SIZE * h / w))
    else:
        size = (int(SIZE * w / h), SIZE)
    if size != (w, h):
        im = im.resize(size, Image.BICUBIC)
    w, h = im.size
    top, left = int(round((h - SIZE) / 2.0)), int(round((w - SIZE) / 2.0))
    return np.asarray(im.crop((left, top, left + SIZE, top + SIZE)))


class ClipExtractor:
    """CLIP ViT-B/32 image embeddings (512-d, float32), the features of CLIP-FID."""

    name = NAME
    dims = {"pool": DIM}

    def __init__(self, weights=None, device=None, max_batch: Optional[int] = None):
        import torch

        try:
            from open_clip.model import build_model_from_openai_state_dict
        except ImportError:
            raise GanbenchError("CLIP features need open_clip: pip install 'ganbench[clip]'") from None
        self.weights = resolve_weights(weights)
        path, self.sha256 = self.weights.path, self.weights.sha256
        self.device = pick_device(device)
        model = build_model_from_openai_state_dict(load_state_dict(path, self.sha256), cast_dtype=torch.float32)
        self.model = model.float().eval().requires_grad_(False).to(self.device)
        self.preferred_batch = int(max_batch or 64)
        self.mean = torch.tensor(MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(STD, device=self.device).view(1, 3, 1, 1)

    def describe(self) -> dict:
        return {"extractor": self.name, "weights_sha256": self.sha256, "weights_official": self.weights.official,
                "resize": "clip-bicubic-224-center-crop", "dtype": "float32"}

    @inference_mode
    def __call__(self, images) -> Tuple[np.ndarray]:
        import torch

        batch = np.stack([preprocess(np.asarray(im)) for im in images])
        x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        return (self.model.encode_image((x - self.mean) / self.std).float().cpu().numpy(),)
