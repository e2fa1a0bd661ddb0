"""CycleGAN (Zhu, Park, Isola, Efros 2017, Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks): the ResNet generator and the PatchGAN discriminator of
junyanz/pytorch-CycleGAN-and-pix2pix@032e884 (models/networks.py ResnetGenerator, NLayerDiscriminator;
CycleGAN's defaults: ngf = ndf = 64, instance norm without affine weights, so every convolution has a
bias, reflection padding, no dropout, weights N(0, 0.02)).

G (Johnson et al.'s transformation network): reflection-pad 3, 7x7 conv to ngf, two 3x3 stride-2 convs
(ngf -> 2ngf -> 4ngf), `n_blocks` residual blocks (reflection-pad 1, 3x3 conv, norm, ReLU, reflection-pad
1, 3x3 conv, norm; x + that), two 3x3 stride-2 transposed convs back to ngf, reflection-pad 3, 7x7 conv,
tanh. The reference has 6 blocks for 128x128 images and 9 for 256x256; at 32x32 the blocks act on 8x8
maps and 6 of them already see the whole image, so the 32x32 network keeps the smaller of the two, 6.
D: pix2pix's PatchD with instance norm on one domain's image (3 channels), n_layers 1 at 32x32 as the
pix2pix baseline scales it (a 16x16 receptive field; pix2pix.receptive_field).

Four networks: G_AB (the paper's G: X -> Y; the reference's netG_A), G_BA (F: Y -> X; netG_B), D_A (judges
domain A images; the paper's D_X, the reference's netD_B) and D_B (judges domain B; D_Y, netD_A).
`networks` builds one (G, D) pair; the cycle objective calls it twice. Layer order and shapes are the
reference's, so its weights load by position (benchmarks/reference/cyclegan_fixture.py)."""

from __future__ import annotations

from functools import partial

import torch.nn as nn

from .base import Architecture
from .pix2pix import PatchD, init_weights


def _norm(c: int) -> nn.Module:
    return nn.InstanceNorm2d(c)  # affine=False, track_running_stats=False: get_norm_layer('instance')


class Block(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            _norm(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            _norm(dim),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetG(nn.Module):
    """Image (N, in_ch, H, W) in [-1, 1] -> image (N, out_ch, H, W) in [-1, 1]; H, W divisible by 4."""

    def __init__(self, in_ch: int = 3, out_ch: int = 3, ngf: int = 64, n_blocks: int = 6):
        super().__init__()
        self.in_ch, self.out_ch = in_ch, out_ch
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_ch, ngf, 7), _norm(ngf), nn.ReLU(True)]
        for m in (1, 2):  # down: ngf -> 2ngf -> 4ngf
            layers += [nn.Conv2d(ngf * m, ngf * m * 2, 3, 2, 1), _norm(ngf * m * 2), nn.ReLU(True)]
        layers += [Block(4 * ngf) for _ in range(n_blocks)]
        for m in (4, 2):  # up: 4ngf -> 2ngf -> ngf
            layers += [
                nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, 2, 1, output_padding=1),
                _norm(ngf * m // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_ch, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def networks(
    z_dim: int,
    num_classes: int = 0,
    mbstd_group: int = 0,
    *,
    ngf: int = 64,
    ndf: int = 64,
    n_blocks: int = 6,
    n_layers: int = 1,
    channels: int = 3,
):
    """One (G, D) pair, G translating into the domain D judges."""
    if num_classes or mbstd_group:
        from ..errors import GanbenchError

        raise GanbenchError(
            "cyclegan translates images, it is not conditioned on classes or batch statistics: "
            "train it with conditional=false and mbstd=0"
        )
    G = init_weights(ResnetG(channels, channels, ngf, n_blocks))
    D = init_weights(PatchD(channels, ndf, n_layers, norm="instance"))
    return G, D


_EXTRA = {"unpaired": True}  # trained on two unpaired image sets (`ganbench data unpaired`) by objective=cycle
CYCLEGAN32 = Architecture(
    "cyclegan-resnet32",
    None,
    None,
    (3, 32, 32),
    networks=networks,
    paired=True,
    extra=_EXTRA,
    reference="junyanz/pytorch-CycleGAN-and-pix2pix@032e884 models/networks.py ResnetGenerator(3, 3, ngf=64, "
    "instance norm, use_dropout=False, n_blocks=6), NLayerDiscriminator(3, ndf=64, n_layers=1, instance norm)",
)
# Width- and depth-reduced (ngf = ndf = 4, 2 blocks): a CPU-sized variant for tests, not the reference's network.
CYCLEGAN32_SMALL = Architecture(
    "cyclegan-small",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, ngf=4, ndf=4, n_blocks=2),
    paired=True,
    extra=_EXTRA,
    reference="cyclegan-resnet32 with ngf = ndf = 4 and 2 residual blocks (not a published network)",
)
