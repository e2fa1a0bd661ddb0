"""cGAN-PD for 32x32 (Miyato & Koyama 2018, cGANs with Projection Discriminator), layer for layer
torch-mimicry 0.1.16's `nets/cgan_pd/cgan_pd_32.py` (CGANPDGenerator32, CGANPDDiscriminator32): the
SNGAN ResNet of `resnet.py` with conditional batch norm in G's blocks (BatchNorm without affine, then a
per-class scale and shift from an embedding initialised N(1, 0.02) and 0) and the class projection
in D: logit = l5(h) + <embed(y), h>, h the summed features, the embedding Xavier-initialised and
spectrally normalised like every other D layer.

Two documented differences from torch-mimicry, neither changing a training step: its l5 and
projection use its own SpectralNorm class (buffers sn_u / sn_sigma) where ganbench uses torch's (the
same one power iteration from the stored u in training mode; in eval mode torch's reuses the stored
u and v where torch-mimicry's iterates once more without storing), and G takes y as an argument
(torch-mimicry draws random classes when y is None). tests/test_baselines.py checks G's and D's
outputs against torch-mimicry's with the same weights."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import Architecture
from .resnet import Body, GBlock, _head_init
from .resnet import Generator as ResGenerator


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d without affine, then gamma_y * x + beta_y from one embedding (C scales, C shifts)."""

    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.features = features
        self.bn = nn.BatchNorm2d(features, affine=False)
        self.embed = nn.Embedding(num_classes, 2 * features)
        with torch.no_grad():
            self.embed.weight[:, :features].normal_(1.0, 0.02)
            self.embed.weight[:, features:].zero_()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.embed(y).chunk(2, 1)
        shape = (-1, self.features, 1, 1)
        return gamma.view(shape) * self.bn(x) + beta.view(shape)


class CondGBlock(GBlock):
    """resnet.GBlock with its two BatchNorms conditioned on the class (same registration order)."""

    def __init__(self, cin: int, cout: int, num_classes: int):
        super().__init__(cin, cout)
        self.b1 = ConditionalBatchNorm2d(cin, num_classes)
        self.b2 = ConditionalBatchNorm2d(cout, num_classes)

    def forward(self, x, y):  # type: ignore[override]  # GBlock's layers, conditioned: forward takes the class
        h = self.c1(self._up(F.relu(self.b1(x, y))))
        h = self.c2(F.relu(self.b2(h, y)))
        return h + self.c_sc(self._up(x))


class Generator(ResGenerator):
    def __init__(self, z_dim: int = 128, num_classes: int = 10, ngf: int = 256, bottom: int = 4):
        super().__init__(z_dim, ngf, bottom, block=lambda cin, cout: CondGBlock(cin, cout, num_classes))
        self.num_classes = num_classes

    def forward(self, z, y):  # type: ignore[override]  # ResGenerator's layers, conditioned: forward takes the class
        h = self.l1(z).view(z.shape[0], -1, self.bottom, self.bottom)
        for block in (self.block2, self.block3, self.block4):
            h = block(h, y)
        return torch.tanh(self.c5(F.relu(self.b5(h))))


CGANPD_RESNET32 = Architecture(
    "cgan-pd-resnet32",
    Generator,
    lambda: (Body(128, "sum"), 128),
    (3, 32, 32),
    head_init=_head_init,
    conditional=True,
    embed_init=_head_init,
    reference="torch-mimicry 0.1.16 nets/cgan_pd/cgan_pd_32.py (CGANPDGenerator32, CGANPDDiscriminator32)",
)
