"""The DCGAN of WGAN's experiments (Arjovsky, Chintala, Bottou 2017), layer for layer the authors'
`models/dcgan.py` DCGAN_G / DCGAN_D with batch norm and n_extra_layers 0
(martinarjovsky/WassersteinGAN@f7a01e8), built at isize 32 (their classes take any multiple of 16;
their main.py defaults to 64 and rescales CIFAR-10 to it):
G: z -> ConvT(z, 4*ngf, 4/1/0) -> BN, ReLU -> ConvT 4/2/1 halving channels with BN, ReLU while the map is
below isize/2 -> ConvT(ngf, 3, 4/2/1) -> tanh; D: Conv(3, ndf, 4/2/1), LeakyReLU 0.2 -> Conv 4/2/1
doubling channels with BN, LeakyReLU 0.2 down to 4x4 -> a 4x4 conv to one number. No biases anywhere.

Their D's last layer, Conv(4*ndf, 1, 4/1/0) on the 4x4 map, is here the critic's head Linear(4*4*4*ndf, 1)
without bias on the flattened map: the same weights (reshaped) and the same number. Their D returns the
mean over the batch; this critic returns one number per sample and the Wasserstein loss takes the means
(losses.d_loss), which is the same loss. Initialisation is their main.py's weights_init: every conv
N(0, 0.02), batch-norm scale N(1, 0.02) and shift 0."""

from __future__ import annotations

import torch.nn as nn

from .base import Architecture


def init_weights(module: nn.Module) -> nn.Module:
    """main.py's weights_init (by class name 'Conv' / 'BatchNorm'); the head stands for their last conv."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def _check(size: int) -> None:
    if size % 16:
        raise ValueError(f"isize has to be a multiple of 16 (DCGAN_G / DCGAN_D), not {size}")


class Generator(nn.Module):
    def __init__(self, z_dim: int = 100, size: int = 32, width: int = 64):
        super().__init__()
        _check(size)
        self.z_dim = z_dim
        c, s = width // 2, 4
        while s != size:  # the top width: ngf/2 doubled once per doubling from 4 to isize
            c, s = c * 2, s * 2
        layers = [nn.ConvTranspose2d(z_dim, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
        s = 4
        while s < size // 2:
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c, s = c // 2, s * 2
        layers += [nn.ConvTranspose2d(c, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, z):
        return self.main(z.view(-1, self.z_dim, 1, 1))


def body(size: int = 32, width: int = 64):
    """DCGAN_D up to its 4x4 map, flattened; the critic's head is their last conv."""
    _check(size)
    layers = [nn.Conv2d(3, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    c, s = width, size // 2
    while s > 4:
        layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, inplace=True)]
        c, s = 2 * c, s // 2
    layers.append(nn.Flatten(1))
    return init_weights(nn.Sequential(*layers)), c * 4 * 4


WGAN_DCGAN32 = Architecture(
    "wgan-dcgan32",
    Generator,
    body,
    (3, 32, 32),
    head_bias=False,
    head_init=init_weights,
    reference="martinarjovsky/WassersteinGAN@f7a01e8 models/dcgan.py DCGAN_G / DCGAN_D (isize 32, nz 100, "
    "ngf = ndf = 64, batch norm, n_extra_layers 0)",
)
