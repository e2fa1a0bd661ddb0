"""The standard CNN of the SNGAN paper (Miyato et al. 2018, table 3), layer for layer
pytorch-gan-collections' `source/models/sngan.py` / `wgangp.py` (Generator32 / Discriminator32;
w86763777/pytorch-gan-collections@860e90b): G: Linear(z, 4*4*512) -> BN, ReLU -> 3x ConvT 4/2/1
(512..64) with BN, ReLU -> Conv(64, 3, 3/1/1) -> tanh; D: 7 convs 3/1/1 and 4/2/1 (64..512),
LeakyReLU 0.1, then Linear(4*4*512, 1). Weights N(0, 0.02), biases 0, as there. Spectral norm is the
`spectral_norm` switch (on for `sngan`, off for `wgan-gp`)."""

from __future__ import annotations

import torch.nn as nn
import torch.nn.init as init

from .base import Architecture


def _normal_init(module: nn.Module) -> nn.Module:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                init.zeros_(m.bias)
    return module


class Generator(nn.Module):
    def __init__(self, z_dim: int = 128, bottom: int = 4, width: int = 64):
        super().__init__()
        self.z_dim, self.bottom = z_dim, bottom
        top = 8 * width  # 512 at the reference's width 64
        self.linear = nn.Linear(z_dim, bottom * bottom * top)
        layers = [nn.BatchNorm2d(top), nn.ReLU(True)]
        for c in (top, top // 2, top // 4):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        layers += [nn.Conv2d(width, 3, 3, 1, 1), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        _normal_init(self)

    def forward(self, z):
        return self.main(self.linear(z).view(z.shape[0], -1, self.bottom, self.bottom))


def body(size: int = 32, width: int = 64):
    w = width
    spec = [
        (3, w, 3, 1),
        (w, 2 * w, 4, 2),
        (2 * w, 2 * w, 3, 1),
        (2 * w, 4 * w, 4, 2),
        (4 * w, 4 * w, 3, 1),
        (4 * w, 8 * w, 4, 2),
        (8 * w, 8 * w, 3, 1),
    ]
    layers = []
    for cin, cout, k, s in spec:
        layers += [nn.Conv2d(cin, cout, k, s, 1), nn.LeakyReLU(0.1, inplace=True)]
    layers.append(nn.Flatten(1))
    return _normal_init(nn.Sequential(*layers)), (size // 8) ** 2 * 8 * w


CNN32 = Architecture(
    "sngan-cnn32",
    Generator,
    body,
    (3, 32, 32),
    head_init=_normal_init,
    reference="pytorch-gan-collections source/models/sngan.py (Generator32, Discriminator32) @860e90b",
)


def _small_generator(z_dim: int = 128):
    return Generator(z_dim, width=16)


def _small_body(size: int = 32):
    return body(size, width=16)


CNN32_SMALL = Architecture(
    "sngan-cnn32-w16",
    _small_generator,
    _small_body,
    (3, 32, 32),
    head_init=_normal_init,
    reference="sngan-cnn32 (pytorch-gan-collections' sngan.py Generator32 / Discriminator32 @860e90b) with every "
    "layer's channels divided by 4 (G 128..16, D 16..128): not a reference architecture, a CPU-sized variant",
)
