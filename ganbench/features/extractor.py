"""The Inception feature extractor: uint8 images in, pool3 features and unbiased logits out."""

from __future__ import annotations

from typing import List, Sequence, Tuple, Union

import numpy as np
import torch

from ..errors import GanbenchError
from . import resize as rs
from .inception import INPUT_SIZE, NUM_CLASSES, POOL_DIM, InceptionV3
from .weights import Weights, load_state_dict, resolve_weights

Images = Union[np.ndarray, Sequence[np.ndarray], torch.Tensor]

_MODELS: dict = {}


def pick_device(device=None) -> torch.device:
    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise GanbenchError(f"unknown device {device!r}: use cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise GanbenchError(f"device {device!r} was asked for but CUDA is not available: use --device cpu")
    return dev


def _load_model(w: Weights, device: torch.device) -> InceptionV3:
    key = (w.sha256, str(device))
    if key not in _MODELS:
        model = InceptionV3()
        model.load_state_dict(load_state_dict(w))
        model.requires_grad_(False).eval().fold_batchnorm()
        model.to(device).to(memory_format=torch.channels_last)
        _MODELS.clear()  # keep one network resident
        _MODELS[key] = model
    return _MODELS[key]


class InceptionExtractor:
    """Inception-v3 (TF 2015-12-05 graph), fp32; features equal torch-fidelity's to ~1e-5.

    ``resize``: 'tf-legacy' (torch-fidelity / pytorch-fid protocol) or 'clean' (clean-fid).
    ``fast``: on CUDA, allow TF32 matmuls (the reference protocol is plain fp32; off by default).
    """

    name = "inception-v3-compat"
    dims = {"pool": POOL_DIM, "logits": NUM_CLASSES}

    def __init__(self, weights=None, resize: str = "tf-legacy", device=None, fast: bool = False):
        if resize not in rs.RESIZE_MODES:
            raise GanbenchError(f"unknown resize mode {resize!r}: choose one of {', '.join(rs.RESIZE_MODES)}")
        self.weights = weights if isinstance(weights, Weights) else resolve_weights(weights)
        self.resize = resize
        self.device = pick_device(device)
        self.fast = fast
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = fast
            torch.backends.cudnn.allow_tf32 = fast
            torch.backends.cudnn.benchmark = True
        self.model = _load_model(self.weights, self.device)

    def describe(self) -> dict:
        """Everything that changes the features: the cache key and the provenance record use it."""
        return {
            "extractor": self.name,
            "weights_sha256": self.weights.sha256,
            "weights_official": self.weights.official,
            "resize": self.resize,
            "dtype": "float32" + ("-tf32" if self.fast and self.device.type == "cuda" else ""),
        }

    # -- images -> (N,3,299,299) float in [0,255] on the device --------------------------------
    def prepare(self, images: Images) -> torch.Tensor:
        groups = _group_by_shape(images)
        parts: List[Tuple[List[int], torch.Tensor]] = []
        for idx, batch in groups:
            if self.resize == "clean":
                arr = np.stack([rs.resize_clean(im, INPUT_SIZE) for im in batch])
                t = torch.from_numpy(arr).to(self.device)
                t = t.permute(0, 3, 1, 2)
            else:
                t = torch.as_tensor(np.ascontiguousarray(batch))
                if self.device.type == "cuda":
                    t = t.pin_memory()
                t = t.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float()
                t = rs.resize_tf_legacy(t, INPUT_SIZE)
            parts.append((idx, t))
        if len(parts) == 1:
            return parts[0][1]
        n = sum(len(i) for i, _ in parts)
        out = torch.empty((n, 3, INPUT_SIZE, INPUT_SIZE), device=self.device)
        for idx, t in parts:
            out[torch.as_tensor(idx, device=self.device)] = t
        return out

    @torch.inference_mode()
    def forward_prepared(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N,3,299,299) float in [0,255] -> (pool3, logits_unbiased) float32 tensors."""
        x = ((x - 128) / 128).contiguous(memory_format=torch.channels_last)
        return self.model(x)

    def __call__(self, images: Images) -> Tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            pool, logits = self.forward_prepared(self.prepare(images))
        return pool.float().cpu().numpy(), logits.float().cpu().numpy()


def _group_by_shape(images: Images):
    """[(original indices, (B,H,W,3) uint8)] for each distinct image size, in first-seen order."""
    if isinstance(images, torch.Tensor):
        images = images.cpu().numpy()
    if isinstance(images, np.ndarray):
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise GanbenchError(f"expected (N,H,W,3) uint8 images, got {images.shape} {images.dtype}")
        return [(list(range(len(images))), images)]
    by_shape: dict = {}
    for i, im in enumerate(images):
        by_shape.setdefault(im.shape, []).append(i)
    return [(idx, np.stack([images[i] for i in idx])) for idx in by_shape.values()]
