"""Pix2Pix (Isola, Zhu, Zhou, Efros 2017, Image-to-Image Translation with Conditional Adversarial Networks):
the U-Net generator and the PatchGAN discriminator of junyanz/pytorch-CycleGAN-and-pix2pix@032e884
(models/networks.py UnetGenerator, NLayerDiscriminator; pix2pix's defaults: ngf = ndf = 64, batch norm,
dropout 0.5 in G's inner ngf*8 levels, weights N(0, 0.02), batch-norm scales N(1, 0.02)).

G: `num_downs` levels, each a 4x4 stride-2 convolution down and a 4x4 stride-2 transposed convolution up,
the input of a level concatenated to its output (the skip); channels ngf, 2ngf, 4ngf, then 8ngf for the
rest. The reference's unet_256 has 8 levels (256 -> 1); at 32x32 the bottleneck is 1x1 after 5, so
num_downs = 5, and the reference's class then has no ngf*8 middle level and so no dropout (it sits
there only). D: a 4x4 stride-2 convolution, `n_layers` - 1 more with batch norm, then two stride-1 ones,
one logit per patch; D sees the input and the output image concatenated on channels (6 channels).
Layer order, biases (none before a batch norm) and shapes are the reference's, so its weights load
by position (benchmarks/reference/pix2pix_fixture.py checks the forward pass)."""

from __future__ import annotations

from functools import partial
from typing import Optional

import torch
import torch.nn as nn

from . import cielab
from .base import Architecture


class Level(nn.Module):
    """One U-Net level: down -> inner (the deeper levels; none at the bottleneck) -> up, output
    cat([x, up]) (the outermost level returns `up` alone)."""

    def __init__(
        self,
        outer: int,
        inner: int,
        inner_out: int,
        *,
        in_ch: int = 0,
        sub: Optional[nn.Module] = None,
        outermost: bool = False,
        dropout: bool = False,
    ):
        super().__init__()
        self.outermost = outermost
        conv = nn.Conv2d(in_ch or outer, inner, 4, 2, 1, bias=False)
        if outermost:
            self.down = nn.Sequential(conv)
        elif sub is None:  # the bottleneck: no norm on its 1x1 code
            self.down = nn.Sequential(nn.LeakyReLU(0.2, True), conv)
        else:
            self.down = nn.Sequential(nn.LeakyReLU(0.2, True), conv, nn.BatchNorm2d(inner))
        self.inner = sub if sub is not None else nn.Identity()
        upconv = nn.ConvTranspose2d(inner_out, outer, 4, 2, 1, bias=outermost)
        tail = [nn.Tanh()] if outermost else [nn.BatchNorm2d(outer)] + ([nn.Dropout(0.5)] if dropout else [])
        self.up = nn.Sequential(nn.ReLU(True), upconv, *tail)

    def forward(self, x):
        # down's in-place LeakyReLU rewrites x before it is concatenated, so the skip carries
        # leaky_relu(x), exactly as the reference's UnetSkipConnectionBlock (its inplace=True)
        y = self.up(self.inner(self.down(x)))
        return y if self.outermost else torch.cat([x, y], 1)


class UNet(nn.Module):
    """Image (N, in_ch, H, W) in [-1, 1] -> image (N, out_ch, H, W) in [-1, 1]; H, W divisible by 2^num_downs."""

    def __init__(self, in_ch: int = 3, out_ch: int = 3, num_downs: int = 5, ngf: int = 64, dropout: bool = True):
        super().__init__()
        if num_downs < 5:
            raise ValueError("the reference's U-Net has at least 5 levels")
        self.in_ch, self.out_ch, self.num_downs = in_ch, out_ch, num_downs
        w = 8 * ngf
        level = Level(w, w, w)  # bottleneck
        for _ in range(num_downs - 5):
            level = Level(w, w, 2 * w, sub=level, dropout=dropout)
        for c in (4 * ngf, 2 * ngf, ngf):
            level = Level(c, 2 * c, 4 * c, sub=level)
        self.net = Level(out_ch, ngf, 2 * ngf, in_ch=in_ch, sub=level, outermost=True)

    def forward(self, x):
        return self.net(x)


class LabUNet(UNet):
    """The colourisation U-Net (the reference's colorization model: input_nc 1, output_nc 2): the L* of the
    input image in, its a*, b* out (cielab.py's scaling). `to_model` turns an RGB input into what it reads
    and `to_rgb` its output back into the image: the paired objective and translate call them."""

    def __init__(self, num_downs: int = 5, ngf: int = 64, dropout: bool = True):
        super().__init__(1, 2, num_downs, ngf, dropout)

    @staticmethod
    def to_model(rgb: torch.Tensor) -> torch.Tensor:
        return cielab.to_model(rgb)

    @staticmethod
    def target(rgb: torch.Tensor) -> torch.Tensor:
        return cielab.ab_of(rgb)

    @staticmethod
    def to_rgb(model_input: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return cielab.to_rgb(model_input, out)


class PatchD(nn.Module):
    """(N, in_ch, H, W) -> (N, 1, H', W') logits, one per receptive field (70x70 for n_layers = 3,
    34 for 2, 16 for 1)."""

    def __init__(self, in_ch: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        # the reference's get_norm_layer: 'batch' (pix2pix; convolutions before it unbiased) or 'instance'
        # (CycleGAN; InstanceNorm2d without affine weights or running statistics, convolutions biased)
        instance = norm == "instance"
        make_norm = (lambda c: nn.InstanceNorm2d(c)) if instance else nn.BatchNorm2d
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):  # the last of these has stride 1
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, 2 if n < n_layers else 1, 1, bias=instance),
                make_norm(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, xy):
        return self.net(xy)


def receptive_field(n_layers: int) -> int:
    """The PatchGAN's receptive field: two stride-1 4x4 convolutions (1 -> 4 -> 7), then n_layers
    stride-2 ones (r -> 2r + 2): 16, 34, 70 for n_layers 1, 2, 3."""
    r = 7
    for _ in range(n_layers):
        r = 2 * r + 2
    return r


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """The reference's init_weights('normal', 0.02): conv weights N(0, gain), biases 0, batch-norm
    scales N(1, gain), shifts 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def networks(
    z_dim: int,
    num_classes: int = 0,
    mbstd_group: int = 0,
    *,
    ngf: int = 64,
    ndf: int = 64,
    num_downs: int = 5,
    n_layers: int = 1,
    channels: int = 3,
    lab: bool = False,
):
    if num_classes or mbstd_group:
        from ..errors import GanbenchError

        raise GanbenchError(
            "pix2pix is conditioned on its input image, not on classes or batch statistics: "
            "train it with conditional=false and mbstd=0"
        )
    if lab:  # D sees L beside a*, b*: 3 channels
        return init_weights(LabUNet(num_downs, ngf)), init_weights(PatchD(3, ndf, n_layers))
    G = init_weights(UNet(channels, channels, num_downs, ngf))
    D = init_weights(PatchD(2 * channels, ndf, n_layers))
    return G, D


# n_layers 1: a 16x16 PatchGAN (the paper's table 3 has it), the largest receptive field that fits in a
# 32x32 image (n_layers 2 sees 34x34, the whole image); 70/256 of the original is ~9/32.
PIX2PIX32 = Architecture(
    "pix2pix-unet32",
    None,
    None,
    (3, 32, 32),
    networks=networks,
    paired=True,
    reference="junyanz/pytorch-CycleGAN-and-pix2pix@032e884 models/networks.py UnetGenerator(3, 3, num_downs=5, "
    "ngf=64, batch norm, use_dropout=True), NLayerDiscriminator(6, ndf=64, n_layers=1, batch norm)",
)
# Width-reduced (ngf = ndf = 8): a CPU-sized variant for tests, not the reference's network.
PIX2PIX32_SMALL = Architecture(
    "pix2pix-small",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, ngf=8, ndf=8),
    paired=True,
    reference="pix2pix-unet32 with ngf = ndf = 8 (not a published network)",
)
# The colourisation model of the same repository (models/colorization_model.py, data/colorization_dataset.py):
# pix2pix with input_nc 1 (L*), output_nc 2 (a*, b*), images converted with scikit-image's rgb2lab.
PIX2PIX32_LAB = Architecture(
    "pix2pix-unet32-lab",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, lab=True),
    paired=True,
    reference="junyanz/pytorch-CycleGAN-and-pix2pix@032e884 models/networks.py UnetGenerator(1, 2, num_downs=5, "
    "ngf=64, batch norm, use_dropout=True), NLayerDiscriminator(3, ndf=64, n_layers=1, batch norm); "
    "models/colorization_model.py",
)
PIX2PIX32_SMALL_LAB = Architecture(
    "pix2pix-small-lab",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, ngf=8, ndf=8, lab=True),
    paired=True,
    reference="pix2pix-unet32-lab with ngf = ndf = 8 (not a published network)",
)
