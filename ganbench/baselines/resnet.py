"""The ResNet GAN for 32x32 of SNGAN (Miyato et al. 2018) and WGAN-GP (Gulrajani et al. 2017), layer
for layer torch-mimicry 0.1.16's `nets/sngan/sngan_32.py` and `nets/wgan_gp/wgan_gp_32.py`
(G: ngf 256, bottom width 4, three up-blocks with bilinear upsampling; D: ndf 128, an optimised
down-block, one down-block, two plain blocks). Initialisation is torch-mimicry's (Xavier, gain sqrt 2
in the residual convs, 1 in shortcuts and ends).

One of torch-mimicry's details is kept on purpose, since its reported scores were trained with it: the
D blocks' first ReLU is in place, so their shortcut sees relu(x), not x (the Chainer original adds
x). tests/test_baselines.py checks the outputs against torch-mimicry's with the same weights."""

from __future__ import annotations

import math
from typing import TypeVar

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import Architecture

_Layer = TypeVar("_Layer", nn.Conv2d, nn.Linear)


def _xavier(conv: _Layer, gain: float) -> _Layer:
    nn.init.xavier_uniform_(conv.weight, gain)
    return conv


class GBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.c1 = _xavier(nn.Conv2d(cin, cout, 3, 1, 1), math.sqrt(2.0))
        self.c2 = _xavier(nn.Conv2d(cout, cout, 3, 1, 1), math.sqrt(2.0))
        self.b1: nn.Module = nn.BatchNorm2d(cin)  # conditional in cgan_pd's and biggan's blocks
        self.b2: nn.Module = nn.BatchNorm2d(cout)
        self.c_sc = _xavier(nn.Conv2d(cin, cout, 1, 1, 0), 1.0)

    @staticmethod
    def _up(x):
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x):
        h = self.c1(self._up(F.relu(self.b1(x))))
        h = self.c2(F.relu(self.b2(h)))
        return h + self.c_sc(self._up(x))


class DBlock(nn.Module):
    def __init__(self, cin: int, cout: int, down: bool):
        super().__init__()
        self.down = down
        self.c1 = _xavier(nn.Conv2d(cin, cin, 3, 1, 1), math.sqrt(2.0))
        self.c2 = _xavier(nn.Conv2d(cin, cout, 3, 1, 1), math.sqrt(2.0))
        self.c_sc = _xavier(nn.Conv2d(cin, cout, 1, 1, 0), 1.0) if (cin != cout or down) else None

    def forward(self, x):
        x = F.relu(x)  # torch-mimicry's in-place ReLU: the shortcut below sees relu(x) too
        h = self.c2(F.relu(self.c1(x)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        sc = x if self.c_sc is None else self.c_sc(x)
        return h + (F.avg_pool2d(sc, 2) if (self.down and self.c_sc is not None) else sc)


class DBlockOptimized(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.c1 = _xavier(nn.Conv2d(cin, cout, 3, 1, 1), math.sqrt(2.0))
        self.c2 = _xavier(nn.Conv2d(cout, cout, 3, 1, 1), math.sqrt(2.0))
        self.c_sc = _xavier(nn.Conv2d(cin, cout, 1, 1, 0), 1.0)

    def forward(self, x):
        return F.avg_pool2d(self.c2(F.relu(self.c1(x))), 2) + self.c_sc(F.avg_pool2d(x, 2))


class Generator(nn.Module):
    def __init__(self, z_dim: int = 128, ngf: int = 256, bottom: int = 4, block=GBlock):
        super().__init__()
        self.z_dim, self.ngf, self.bottom = z_dim, ngf, bottom
        self.l1 = _xavier(nn.Linear(z_dim, bottom * bottom * ngf), 1.0)
        self.block2, self.block3, self.block4 = block(ngf, ngf), block(ngf, ngf), block(ngf, ngf)
        self.b5 = nn.BatchNorm2d(ngf)
        self.c5 = _xavier(nn.Conv2d(ngf, 3, 3, 1, 1), 1.0)

    def forward(self, z):
        h = self.l1(z).view(z.shape[0], -1, self.bottom, self.bottom)
        h = self.block4(self.block3(self.block2(h)))
        return torch.tanh(self.c5(F.relu(self.b5(h))))


class Body(nn.Module):
    """D without its last linear layer; `pool` is "sum" (SNGAN) or "mean" (WGAN-GP)."""

    def __init__(self, ndf: int = 128, pool: str = "sum"):
        super().__init__()
        self.pool = pool
        self.block1 = DBlockOptimized(3, ndf)
        self.block2 = DBlock(ndf, ndf, down=True)
        self.block3 = DBlock(ndf, ndf, down=False)
        self.block4 = DBlock(ndf, ndf, down=False)

    def forward(self, x):
        h = F.relu(self.block4(self.block3(self.block2(self.block1(x)))))
        return h.sum((2, 3)) if self.pool == "sum" else h.mean((2, 3))


def _head_init(linear: nn.Linear) -> None:
    nn.init.xavier_uniform_(linear.weight, 1.0)


SNGAN_RESNET32 = Architecture(
    "sngan-resnet32",
    Generator,
    lambda: (Body(128, "sum"), 128),
    (3, 32, 32),
    head_init=_head_init,
    reference="torch-mimicry 0.1.16 nets/sngan/sngan_32.py (SNGANGenerator32, SNGANDiscriminator32)",
)
WGANGP_RESNET32 = Architecture(
    "wgan-gp-resnet32",
    Generator,
    lambda: (Body(128, "mean"), 128),
    (3, 32, 32),
    head_init=_head_init,
    reference="torch-mimicry 0.1.16 nets/wgan_gp/wgan_gp_32.py (WGANGPGenerator32, WGANGPDiscriminator32)",
)
