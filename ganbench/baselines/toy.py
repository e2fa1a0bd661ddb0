"""The toy baselines of ganbench's offline mode-collapse benchmarks.

`mlp-2d`: the 2-D mixture GAN of Metz et al. 2017 (Unrolled GANs, appendix A), the setup VEEGAN and
PacGAN's ring / grid experiments build on: G is z (256-d Gaussian) -> 128 ReLU -> 128 ReLU -> linear 2;
D scales its input by 1/4, then 128 ReLU -> linear 1. No reference code gives a parameter count, so
tests/test_baselines.py checks it against the count of the paper's layer list.

`mlp-2d-wide`: the toy networks of WGAN-GP's released code (Gulrajani et al. 2017,
igul222/improved_wgan_training gan_toy.py): G is z (2-d Gaussian) -> 3x 512 ReLU -> linear 2; D is
3x 512 ReLU -> linear 1.

`mlp-2d-deep`: the deep toy networks of WGAN-GP's fig. 1b (Gulrajani et al. 2017, sec. 3.2: "Both
generator and critic are 12-layer ReLU MLPs without batch normalization"): 11 ReLU layers of gan_toy.py's
width 512 (the paper gives no width), He-initialised as gan_toy.py's ReLULayer, then a linear output.

`conv-8x8`: a DCGAN-style (Radford et al. 2016) conv GAN sized for ganbench's 8x8x3 stacked digits
(Stacked MNIST's 28x28 DCGAN scaled down; ganbench's own design): G: Linear(z, 4*4*128), BN, ReLU ->
ConvT(128, 64, 4/2/1), BN, ReLU -> Conv(64, 3, 3/1/1) -> tanh; D: Conv(3, 64, 4/2/1), LeakyReLU 0.2 ->
Conv(64, 128, 3/1/1), LeakyReLU 0.2 -> Linear(4*4*128, 1)."""

from __future__ import annotations

import torch.nn as nn

from .base import Architecture


class MLPGenerator(nn.Module):
    def __init__(self, z_dim: int = 256, hidden: int = 128):
        super().__init__()
        self.z_dim = z_dim
        self.main = nn.Sequential(
            nn.Linear(z_dim, hidden), nn.ReLU(True), nn.Linear(hidden, hidden), nn.ReLU(True), nn.Linear(hidden, 2)
        )

    def forward(self, z):
        return self.main(z)


class WideMLPGenerator(nn.Module):
    def __init__(self, z_dim: int = 2, hidden: int = 512):
        super().__init__()
        self.z_dim = z_dim
        layers, d = [], z_dim
        for _ in range(3):
            layers += [nn.Linear(d, hidden), nn.ReLU(True)]
            d = hidden
        self.main = nn.Sequential(*layers, nn.Linear(hidden, 2))

    def forward(self, z):
        return self.main(z)


def wide_mlp_body(hidden: int = 512):
    return nn.Sequential(
        nn.Linear(2, hidden),
        nn.ReLU(True),
        nn.Linear(hidden, hidden),
        nn.ReLU(True),
        nn.Linear(hidden, hidden),
        nn.ReLU(True),
    ), hidden


class DeepMLPGenerator(nn.Module):
    def __init__(self, z_dim: int = 2, hidden: int = 512, depth: int = 12):
        super().__init__()
        self.z_dim = z_dim
        self.main = nn.Sequential(*_relu_layers(z_dim, hidden, depth - 1), nn.Linear(hidden, 2))

    def forward(self, z):
        return self.main(z)


def _relu_layers(d_in: int, hidden: int, n: int) -> list:
    out = []
    for i in range(n):
        lin = nn.Linear(d_in if i == 0 else hidden, hidden)
        nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")  # gan_toy.py's initialization='he'
        nn.init.zeros_(lin.bias)
        out += [lin, nn.ReLU(True)]
    return out


def deep_mlp_body(hidden: int = 512, depth: int = 12):
    return nn.Sequential(*_relu_layers(2, hidden, depth - 1)), hidden


class _Scale(nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def mlp_body(hidden: int = 128):
    return nn.Sequential(_Scale(0.25), nn.Linear(2, hidden), nn.ReLU(True)), hidden


class ConvGenerator8(nn.Module):
    def __init__(self, z_dim: int = 100):
        super().__init__()
        self.z_dim = z_dim
        self.linear = nn.Linear(z_dim, 4 * 4 * 128)
        self.main = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1),
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.Conv2d(64, 3, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(self.linear(z).view(z.shape[0], 128, 4, 4))


def conv8_body():
    return nn.Sequential(
        nn.Conv2d(3, 64, 4, 2, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 128, 3, 1, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Flatten(1),
    ), 4 * 4 * 128


MLP2D = Architecture(
    "mlp-2d",
    MLPGenerator,
    mlp_body,
    (2,),
    reference="Metz et al. 2017 (Unrolled GANs), appendix A: the layer list of the 2-D mixture model",
)
MLP2D_WIDE = Architecture(
    "mlp-2d-wide",
    WideMLPGenerator,
    wide_mlp_body,
    (2,),
    reference="igul222/improved_wgan_training gan_toy.py (DIM 512, 3 ReLU layers each)",
)
MLP2D_DEEP = Architecture(
    "mlp-2d-deep",
    DeepMLPGenerator,
    deep_mlp_body,
    (2,),
    reference="Gulrajani et al. 2017 sec. 3.2 (12-layer ReLU MLPs, no batch norm); width 512 "
    "and He init from igul222/improved_wgan_training gan_toy.py",
)
CONV8 = Architecture(
    "conv-8x8",
    ConvGenerator8,
    conv8_body,
    (3, 8, 8),
    reference="ganbench's own: DCGAN design rules (Radford et al. 2016) at 8x8",
)
