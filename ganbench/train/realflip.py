"""Random horizontal flips of the real images (`--set hflip=true`): torchvision's RandomHorizontalFlip(0.5)
per image, as PyTorch-StudioGAN@947b35e applies to its training data by default (src/config.py
PRE.apply_rflip = True; src/data_util.py Dataset_ adds transforms.RandomHorizontalFlip()).

Counter-based like every draw of training (streams.py): image i of global batch `index` is flipped when the
i-th uniform of the (seed, "hflip", index) stream is below 0.5, so a resumed run and every rank of a
distributed one flip the same images. Only the real images are flipped; G's samples are not (as there)."""

from __future__ import annotations

import torch

from ..errors import GanbenchError
from . import streams


def check(cfg: dict, data) -> bool:
    """Whether the run flips its real images; refuses data it cannot flip as one line."""
    if not cfg["hflip"]:
        return False
    if data.kind != "images" or data.inputs is not None:
        what = "2-D points" if data.kind != "images" else "image pairs (each input with its target)"
        raise GanbenchError(
            f"hflip=true flips the real images of a noise-to-image model; --data {data.name} holds {what}: "
            f"--set hflip=false"
        )
    return True


def flip_half(x: torch.Tensor, seed: int, index: int) -> torch.Tensor:
    """x (N, C, H, W) with each image mirrored left-right with probability 0.5."""
    flip = torch.rand(len(x), generator=streams.generator(seed, "hflip", index)) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)
