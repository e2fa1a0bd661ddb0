"""DINOv2 ViT-L/14 image features (Oquab et al. 2023), as dgm-eval takes them for FD-DINOv2.

Stein et al. 2023 ("Exposing flaws of generative model evaluation metrics") report the Frechet
distance and precision/recall/density/coverage in this space. Preprocessing as dgm-eval
(dgm_eval/models/dinov2.py, clean_resize=False): PIL bicubic resize to 224x224, /255, ImageNet
mean/std; the feature is the class token after the final norm (1024-d), float32. The network is
timm's `vit_large_patch14_dinov2` (`pip install "ganbench[dinov2]"`); the official checkpoint's
37x37 position embedding is resampled to 16x16 as DINOv2's own `interpolate_pos_encoding` does
(bicubic, scale factor (16 + 0.1) / 37, no antialiasing), once, when the weights load.

Weights: --weights-for dinov2=PATH (the official state dict, .pth loaded with weights_only=True,
or .safetensors), GANBENCH_DINOV2_WEIGHTS, or the cache. The official file's sha256 is not pinned
yet (OFFICIAL_SHA256 is None), so ganbench neither downloads it nor calls any file official.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Tuple

import numpy as np

from ..device import inference_mode, pick_device
from ..errors import GanbenchError
from . import weightfiles
from .weightfiles import KnownFile, Weights, WeightsSpec

if TYPE_CHECKING:  # torch is imported where the network runs
    import torch

NAME = "dinov2-vit-l-14"
DIM = 1024
SIZE = 224
PATCH = 14
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
OFFICIAL_URL = "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth"
OFFICIAL_SIZE = 1_217_586_395  # bytes
OFFICIAL_SHA256: Optional[str] = None  # not pinned yet: no copy could be had to hash
FILENAME = "dinov2_vitl14_pretrain.pth"
ENV = "GANBENCH_DINOV2_WEIGHTS"
INTERPOLATE_OFFSET = 0.1  # DINOv2's "historical kludge", kept for its outputs


def _spec() -> WeightsSpec:
    known = (KnownFile(OFFICIAL_SHA256, FILENAME, "Meta", ("pool",), urls=(OFFICIAL_URL,)),) if OFFICIAL_SHA256 else ()
    return WeightsSpec(
        extractor=NAME,
        what="DINOv2 weights",
        option="--weights-for dinov2",
        env=ENV,
        known=known,
        cache_name=FILENAME,
        hint=f"download {OFFICIAL_URL} and pass it with --weights-for dinov2=FILE (ganbench does not download it "
        f"while its sha256 is not pinned)",
    )


def resolve_weights(weights=None) -> Weights:
    return weightfiles.resolve(_spec(), weights)


def resolve_path(weights=None) -> Path:
    return resolve_weights(weights).path


def hub_pos_embed(pos_embed: torch.Tensor, grid: int) -> torch.Tensor:
    """(1, 1 + M*M, D) -> (1, 1 + grid*grid, D), the way DINOv2's interpolate_pos_encoding resamples it."""
    import torch

    cls, patches = pos_embed[:, :1], pos_embed[:, 1:].float()
    m = int(round(patches.shape[1] ** 0.5))
    if m == grid:
        return pos_embed
    scale = float(grid + INTERPOLATE_OFFSET) / m
    out = torch.nn.functional.interpolate(
        patches.reshape(1, m, m, -1).permute(0, 3, 1, 2), mode="bicubic", antialias=False, scale_factor=(scale, scale)
    )
    assert out.shape[-2:] == (grid, grid)
    return torch.cat([cls.float(), out.permute(0, 2, 3, 1).reshape(1, grid * grid, -1)], 1).to(pos_embed.dtype)


def load_state_dict(path: Path) -> dict:
    from .statefiles import load_state_dict as load

    state = load(path, "DINOv2 weights", f"pass {FILENAME} or a .safetensors state dict")
    if tuple(getattr(state.get("patch_embed.proj.weight"), "shape", ())) != (DIM, 3, PATCH, PATCH):
        raise GanbenchError(f"{path} is not a DINOv2 ViT-L/14 state dict: pass {FILENAME}")
    state = {k: v.float() for k, v in state.items() if k != "mask_token"}  # mask_token: training only
    state["pos_embed"] = hub_pos_embed(state["pos_embed"], SIZE // PATCH)
    return state


def preprocess(image: np.ndarray) -> np.ndarray:
    """(H,W,3) uint8 -> (224,224,3) uint8, PIL bicubic (torchvision's Resize((224, 224)) on a PIL image)."""
    from PIL import Image

    im = Image.fromarray(image)
    return np.asarray(im if im.size == (SIZE, SIZE) else im.resize((SIZE, SIZE), Image.Resampling.BICUBIC))


class DinoV2Extractor:
    """DINOv2 ViT-L/14 class-token features (1024-d, float32), the features of FD-DINOv2."""

    name = NAME
    dims = {"pool": DIM}

    def __init__(self, weights=None, device=None, max_batch: Optional[int] = None):
        import torch

        try:
            import timm
        except ImportError:
            raise GanbenchError("DINOv2 features need timm: pip install 'ganbench[dinov2]'") from None
        self.weights = resolve_weights(weights)
        path, self.sha256 = self.weights.path, self.weights.sha256
        self.device = pick_device(device)
        model = timm.create_model("vit_large_patch14_dinov2", pretrained=False, num_classes=0, img_size=SIZE)
        model.load_state_dict(load_state_dict(path), strict=True)
        self.model = model.eval().requires_grad_(False).to(self.device)
        self.preferred_batch = int(max_batch or 32)
        self.mean = torch.tensor(MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(STD, device=self.device).view(1, 3, 1, 1)

    def describe(self) -> dict:
        return {
            "extractor": self.name,
            "weights_sha256": self.sha256,
            "weights_official": self.weights.official,
            "resize": "pil-bicubic-224",
            "dtype": "float32",
        }

    @inference_mode
    def __call__(self, images) -> Tuple[np.ndarray]:
        import torch

        batch = np.stack([preprocess(np.asarray(im)) for im in images])
        x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        return (self.model((x - self.mean) / self.std).float().cpu().numpy(),)
