"""DCGAN for 32x32 (Radford et al. 2016), layer for layer pytorch-gan-collections'
`source/models/dcgan.py` (Generator32 / Discriminator32; w86763777/pytorch-gan-collections@860e90b):
G: z -> ConvT(z, 1024, 2) -> 3x [ConvT 4/2/1, BN, ReLU] halving channels -> ConvT(128, 3, 4/2/1) -> tanh,
no biases; D: 4x Conv 5/2/2 (64..512, no biases), LeakyReLU 0.2, BN after all but the first, then
Linear(2*2*512, 1). PyTorch's default initialisation, as there."""

from __future__ import annotations

import torch.nn as nn

from .base import Architecture


class Generator(nn.Module):
    def __init__(self, z_dim: int = 100, bottom: int = 2, width: int = 64):
        super().__init__()
        self.z_dim = z_dim
        top = 16 * width  # 1024 at the reference's width 64
        layers = [nn.ConvTranspose2d(z_dim, top, bottom, 1, 0, bias=False), nn.BatchNorm2d(top), nn.ReLU(True)]
        for c in (top, top // 2, top // 4):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(top // 8, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.view(-1, self.z_dim, 1, 1))


def body(size: int = 32, width: int = 64):
    layers = [nn.Conv2d(3, width, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for c in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(c, 2 * c, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.BatchNorm2d(2 * c)]
    layers.append(nn.Flatten(1))
    return nn.Sequential(*layers), (size // 16) ** 2 * 8 * width


def _small_generator(z_dim: int = 100):
    return Generator(z_dim, width=SMALL_WIDTH)


def _small_body(size: int = 32):
    return body(size, width=SMALL_WIDTH)


SMALL_WIDTH = 16  # a quarter of every layer's channels: ~1/16 of the multiply-adds, for CPU-sized boards

DCGAN32 = Architecture(
    "dcgan-cnn32",
    Generator,
    body,
    (3, 32, 32),
    reference="pytorch-gan-collections source/models/dcgan.py (Generator32, Discriminator32) @860e90b",
)

DCGAN32_SMALL = Architecture(
    "dcgan-cnn32-w16",
    _small_generator,
    _small_body,
    (3, 32, 32),
    reference="dcgan-cnn32 (pytorch-gan-collections' Generator32 / Discriminator32 @860e90b) with every layer's "
    "channels divided by 4 (G 256..32, D 16..128): not a reference architecture, a CPU-sized variant",
)
