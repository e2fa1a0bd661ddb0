"""DCGAN for 32x32 (Radford et al. 2016), layer for layer pytorch-gan-collections'
`source/models/dcgan.py` (Generator32 / Discriminator32; w86763777/pytorch-gan-collections@860e90b):
G: z -> ConvT(z, 1024, 2) -> 3x [ConvT 4/2/1, BN, ReLU] halving channels -> ConvT(128, 3, 4/2/1) -> tanh,
no biases; D: 4x Conv 5/2/2 (64..512, no biases), LeakyReLU 0.2, BN after all but the first, then
Linear(2*2*512, 1). PyTorch's default initialisation, as there."""

from __future__ import annotations

import torch.nn as nn

from .base import Architecture


class Generator(nn.Module):
    def __init__(self, z_dim: int = 100, bottom: int = 2):
        super().__init__()
        self.z_dim = z_dim
        layers = [nn.ConvTranspose2d(z_dim, 1024, bottom, 1, 0, bias=False), nn.BatchNorm2d(1024), nn.ReLU(True)]
        for c in (1024, 512, 256):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(128, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.view(-1, self.z_dim, 1, 1))


def body(size: int = 32):
    layers = [nn.Conv2d(3, 64, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for c in (64, 128, 256):
        layers += [nn.Conv2d(c, 2 * c, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.BatchNorm2d(2 * c)]
    layers.append(nn.Flatten(1))
    return nn.Sequential(*layers), (size // 16) ** 2 * 512


DCGAN32 = Architecture(
    "dcgan-cnn32", Generator, body, (3, 32, 32),
    reference="pytorch-gan-collections source/models/dcgan.py (Generator32, Discriminator32) @860e90b")
