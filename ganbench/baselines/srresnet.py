"""SRResNet and the SRGAN discriminator (Ledig et al. 2017, Photo-Realistic Single Image Super-Resolution
Using a Generative Adversarial Network, CVPR, fig. 4), layer for layer as
sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution@c30556b models.py (SRResNet, Discriminator), so its
weights load by position (benchmarks/reference/srgan_fixture.py checks counts and the forward pass).

G (low-resolution image in [-1, 1] -> `scale` x larger image in [-1, 1]): 9x9 conv 64 + PReLU; 16
residual blocks (3x3 conv, BN, PReLU, 3x3 conv, BN, + input); 3x3 conv + BN, + the first conv's output
(the long skip); log2(scale) sub-pixel stages (3x3 conv to 256 channels, pixel shuffle x2, PReLU); 9x9
conv to 3 channels + tanh (the reference's; the paper's figure leaves the output activation out).
D (image -> one logit): eight 3x3 convolutions 64, 64, 128, 128, 256, 256, 512, 512 channels, strides
1, 2, 1, 2, ... (BN on all but the first, LeakyReLU 0.2), an adaptive average pool to 6x6 (the
reference's: at the paper's 96x96 crops the features are 6x6 already, so it does nothing there; on
smaller crops it keeps the dense layer's size), dense 1024, LeakyReLU 0.2, dense 1; the sigmoid is in
the BCE-with-logits loss. PyTorch's default initialisation, as the reference (the paper names none)."""

from __future__ import annotations

from functools import partial
from typing import List

import torch.nn as nn

from .base import Architecture


def conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride, k // 2)


class Residual(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(conv(ch, ch, 3), nn.BatchNorm2d(ch), nn.PReLU(), conv(ch, ch, 3), nn.BatchNorm2d(ch))

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, scale: int = 4, ch: int = 64, blocks: int = 16):
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError("SRResNet upsamples by 2, 4 or 8 (x2 sub-pixel stages)")
        self.scale = scale
        self.head = nn.Sequential(conv(3, ch, 9), nn.PReLU())
        self.blocks = nn.Sequential(*[Residual(ch) for _ in range(blocks)])
        self.join = nn.Sequential(conv(ch, ch, 3), nn.BatchNorm2d(ch))
        stages = []
        for _ in range(scale.bit_length() - 1):
            stages += [conv(ch, 4 * ch, 3), nn.PixelShuffle(2), nn.PReLU()]
        self.up = nn.Sequential(*stages)
        self.tail = nn.Sequential(conv(ch, 3, 9), nn.Tanh())

    def forward(self, x):
        h = self.head(x)
        return self.tail(self.up(h + self.join(self.blocks(h))))


class SRDiscriminator(nn.Module):
    def __init__(self, ch: int = 64, blocks: int = 8, fc: int = 1024):
        super().__init__()
        layers: List[nn.Module] = []
        cin = 3
        for i in range(blocks):
            cout = (ch if i == 0 else 2 * cin) if i % 2 == 0 else cin
            layers += [conv(cin, cout, 3, 1 if i % 2 == 0 else 2)] + ([nn.BatchNorm2d(cout)] if i else [])
            layers.append(nn.LeakyReLU(0.2))
            cin = cout
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(6))
        self.head = nn.Sequential(nn.Linear(cin * 36, fc), nn.LeakyReLU(0.2), nn.Linear(fc, 1))

    def forward(self, x):
        return self.head(self.body(x).flatten(1))


def networks(
    z_dim: int,
    num_classes: int = 0,
    mbstd_group: int = 0,
    *,
    scale: int = 4,
    ch: int = 64,
    blocks: int = 16,
    d_ch: int = 64,
    fc: int = 1024,
):
    if num_classes or mbstd_group:
        from ..errors import GanbenchError

        raise GanbenchError(
            "SRResNet is conditioned on its low-resolution input, not on classes or batch statistics: "
            "train it with conditional=false and mbstd=0"
        )
    return SRResNet(scale, ch, blocks), SRDiscriminator(d_ch, fc=fc)


REFERENCE = (
    "sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution@c30556bc79a9d43539f2d658722bcb7ff5011ddb models.py "
    "SRResNet(9, 3, 64, 16, scaling_factor={s}), Discriminator(3, 64, 8, 1024)"
)


def _arch(scale: int, small: bool = False) -> Architecture:
    # shape: the high-resolution training crop G makes (32x32; the paper's 96x96 is ~9x the CPU cost);
    # G is fully convolutional, so `ganbench sample --input` takes inputs of any size
    if small:  # a CPU-sized variant for tests, not a published network
        return Architecture(
            f"srresnet-small-x{scale}",
            None,
            None,
            (3, 32, 32),
            paired=True,
            networks=partial(networks, scale=scale, ch=8, blocks=2, d_ch=8, fc=32),
            reference=f"srresnet-x{scale} with 8 channels, 2 residual blocks, D 8..64 channels, "
            "dense 32 (not a published network)",
            extra={"scale": scale},
        )
    return Architecture(
        f"srresnet-x{scale}",
        None,
        None,
        (3, 32, 32),
        networks=partial(networks, scale=scale),
        paired=True,
        reference=REFERENCE.format(s=scale),
        extra={"scale": scale},
    )


SRRESNET_X2, SRRESNET_X4 = _arch(2), _arch(4)
SRRESNET_SMALL_X2, SRRESNET_SMALL_X4 = _arch(2, small=True), _arch(4, small=True)
