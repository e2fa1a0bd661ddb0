"""A generator's output made into images: NCHW RGB checked (one-line errors that say how to fix the
shape), uint8 kept, floats in [-1, 1] converted exactly as StyleGAN2-ADA's metrics convert them."""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..errors import GanbenchError

CONVERSION = (
    "uint8 as returned; float as StyleGAN2-ADA's metrics: (x * 127.5 + 128).clamp(0, 255)"
    ".to(torch.uint8), in float32 (a float in [-1, 1] -> round half up of (x + 1) * 127.5)"
)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Float images in [-1, 1] -> uint8, exactly as StyleGAN2-ADA's metrics convert G's output."""
    return (x.float() * 127.5 + 128).clamp(0, 255).to(torch.uint8)


def as_uint8_nchw(x, count: Optional[int], where: str) -> torch.Tensor:
    """`x` checked as `count` NCHW RGB images and made uint8 (`to_uint8` for floats), else a GanbenchError."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise GanbenchError(f"{where} gave a {type(x).__name__}: give a torch tensor of NCHW images (N, 3, H, W)")
    shape = tuple(x.shape)
    if x.ndim != 4 or x.shape[1] != 3 or min(shape[2:]) == 0:
        hint = (
            " (NHWC images: x.permute(0, 3, 1, 2))"
            if x.ndim == 4 and x.shape[-1] == 3
            else " (greyscale: x.expand(-1, 3, -1, -1))"
            if x.ndim == 4 and x.shape[1] == 1
            else " (one image: x[None])"
            if x.ndim == 3
            else ""
        )
        raise GanbenchError(f"{where} gave shape {shape}: give NCHW RGB images (N, 3, H, W){hint}")
    if count is not None and shape[0] != count:
        raise GanbenchError(f"{where} gave {shape[0]} images for {count} latents: give one image per latent")
    if x.dtype == torch.uint8:
        return x
    if not x.is_floating_point():
        raise GanbenchError(
            f"{where} gave {str(x.dtype).replace('torch.', '')} images: give uint8 in 0..255 or float in [-1, 1]"
        )
    return to_uint8(x)
