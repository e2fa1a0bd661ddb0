"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): colour,
translation and cutout applied to every image D sees, real and fake, and differentiable so that G's loss
passes through. Same operations, ratios, order and random draws (shapes, order, ranges) as the authors'
DiffAugment_pytorch.py (mit-han-lab/data-efficient-gans), but every draw comes from the generator the
caller passes, so the same seed gives the same output as the reference does from the global RNG.

Policies: the StyleGAN2 CIFAR-10 limited-data runs use 'color,translation,cutout' (the default here); the
BigGAN CIFAR scripts use 'translation,cutout'."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

import torch

from ...errors import GanbenchError
from .draws import Draws

DEFAULT_POLICY = "color,translation,cutout"


def brightness(x: torch.Tensor, d: Draws) -> torch.Tensor:
    """Add one offset per image, uniform in [-0.5, 0.5)."""
    return x + (d.rand(1, 1, 1, dtype=x.dtype) - 0.5)


def saturation(x: torch.Tensor, d: Draws) -> torch.Tensor:
    """Scale each pixel's distance from its channel mean by a factor uniform in [0, 2)."""
    gray = x.mean(dim=1, keepdim=True)
    return (x - gray) * (d.rand(1, 1, 1, dtype=x.dtype) * 2) + gray


def contrast(x: torch.Tensor, d: Draws) -> torch.Tensor:
    """Scale each image's distance from its mean by a factor uniform in [0.5, 1.5)."""
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (d.rand(1, 1, 1, dtype=x.dtype) + 0.5) + mean


def translation(x: torch.Tensor, d: Draws, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by whole pixels, up to ratio * size (rounded) each way, filling with zeros. The
    shift along height is drawn before the one along width, each for the whole batch."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = d.randint(-sh, sh + 1, 1, 1).reshape(n, 1)
    dx = d.randint(-sw, sw + 1, 1, 1).reshape(n, 1)
    rows = torch.arange(h, device=x.device) + dy  # source row of each output row, (n, h)
    cols = torch.arange(w, device=x.device) + dx
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    b = torch.arange(n, device=x.device)[:, None, None]
    moved = x.permute(0, 2, 3, 1)[b, rows.clamp(0, h - 1)[:, :, None], cols.clamp(0, w - 1)[:, None, :]]
    moved = moved.permute(0, 3, 1, 2)
    return torch.where(inside[:, None], moved, torch.zeros((), dtype=x.dtype, device=x.device))


def cutout(x: torch.Tensor, d: Draws, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ratio * size (rounded) per image; its centre is uniform over the image (one
    position further for even sizes) and the square is clipped at the borders."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = d.randint(0, h + (1 - ch % 2), 1, 1).reshape(n, 1) - ch // 2
    left = d.randint(0, w + (1 - cw % 2), 1, 1).reshape(n, 1) - cw // 2
    r, c = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    in_rows = (r >= top) & (r < top + ch)
    in_cols = (c >= left) & (c < left + cw)
    mask = torch.ones(n, h, w, dtype=x.dtype, device=x.device)
    mask[in_rows[:, :, None] & in_cols[:, None, :]] = 0
    return x * mask.unsqueeze(1)


OPS: Dict[str, List[Callable]] = {
    "color": [brightness, saturation, contrast],
    "translation": [translation],
    "cutout": [cutout],
}


class DiffAugment:
    """`aug(x, generator)`: x NCHW float (ganbench's [-1, 1]); returns the augmented batch, differentiable
    in x. No probability to adapt: `p` is None, `observe`/`step` do nothing, the state is empty."""

    name = "diffaugment"

    def __init__(self, policy: str = DEFAULT_POLICY):
        self.policy = [p.strip() for p in str(policy).split(",") if p.strip()]
        bad = [p for p in self.policy if p not in OPS]
        if bad or not self.policy:
            raise GanbenchError(
                f"diffaugment policy {policy!r}: unknown part(s) {', '.join(bad) or '(empty)'}; "
                f"use a comma-separated list of {', '.join(OPS)} (e.g. {DEFAULT_POLICY})"
            )
        self.p = None  # nothing adaptive

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator, *, start: int = 0, total: Optional[int] = None
    ) -> torch.Tensor:
        d = Draws(generator, x.shape[0], start, total, x.device)
        for part in self.policy:
            for op in OPS[part]:
                x = op(x, d)
        return x.contiguous()

    def observe(self, real_logits: torch.Tensor) -> None:
        pass

    def step(self, batch_size: int) -> None:
        pass

    def state(self) -> dict:
        return {}

    def restore(self, state: dict) -> None:
        pass
