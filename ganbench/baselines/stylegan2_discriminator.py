"""StyleGAN2's discriminator (stylegan2-ada-pytorch's training/networks.py): 'orig' or 'resnet' blocks that
halve the resolution, minibatch std, and the epilogue that projects on a mapping of the label when
conditional. Module and parameter names are the reference's."""

from __future__ import annotations

import math
from typing import Optional

import torch.nn as nn

from ..errors import GanbenchError
from .stylegan2_generator import MappingNetwork
from .stylegan2_layers import (
    Conv2dLayer,
    FullyConnectedLayer,
    MinibatchStdLayer,
    setup_filter,
)


class DiscriminatorBlock(nn.Module):
    """fromrgb (first block only), conv0, conv1 with 2x FIR downsampling; 'resnet' adds a 1x1 skip and
    scales both paths by sqrt(1/2)."""

    def __init__(self, cin: int, tmp: int, cout: int, img_channels: int, architecture: str = "orig", conv_clamp=None):
        super().__init__()
        self.in_channels, self.architecture = cin, architecture
        self.register_buffer("resample_filter", setup_filter())
        if cin == 0:
            self.fromrgb = Conv2dLayer(img_channels, tmp, 1, activation="lrelu", conv_clamp=conv_clamp)
        self.conv0 = Conv2dLayer(tmp, tmp, 3, activation="lrelu", conv_clamp=conv_clamp)
        self.conv1 = Conv2dLayer(tmp, cout, 3, activation="lrelu", down=2, conv_clamp=conv_clamp)
        if architecture == "resnet":
            self.skip = Conv2dLayer(tmp, cout, 1, bias=False, down=2)

    def forward(self, x, img):
        if self.in_channels == 0:
            y = self.fromrgb(img)
            x = x + y if x is not None else y
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            return y + self.conv1(self.conv0(x), gain=math.sqrt(0.5))
        return self.conv1(self.conv0(x))


class DiscriminatorEpilogue(nn.Module):
    def __init__(
        self,
        cin: int,
        cmap_dim: int,
        resolution: int,
        mbstd_group_size: Optional[int] = 4,
        mbstd_num_channels: int = 1,
        conv_clamp=None,
    ):
        super().__init__()
        self.cmap_dim = cmap_dim
        self.mbstd = MinibatchStdLayer(mbstd_group_size, mbstd_num_channels) if mbstd_num_channels > 0 else None
        self.conv = Conv2dLayer(cin + mbstd_num_channels, cin, 3, activation="lrelu", conv_clamp=conv_clamp)
        self.fc = FullyConnectedLayer(cin * resolution**2, cin, activation="lrelu")
        self.out = FullyConnectedLayer(cin, 1 if cmap_dim == 0 else cmap_dim)

    def forward(self, x, cmap=None):
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.out(self.fc(self.conv(x).flatten(1)))
        if self.cmap_dim:  # projection: <out, cmap> / sqrt(cmap_dim)
            x = (x * cmap).sum(dim=1, keepdim=True) * (1 / math.sqrt(self.cmap_dim))
        return x


class Discriminator(nn.Module):
    def __init__(
        self,
        c_dim: int = 0,
        img_resolution: int = 32,
        img_channels: int = 3,
        architecture: str = "orig",
        channel_base: int = 32768,
        channel_max: int = 512,
        conv_clamp=256,
        mbstd_group_size: Optional[int] = 32,
        mbstd_num_channels: int = 1,
        map_layers: int = 8,
    ):
        super().__init__()
        if architecture not in ("orig", "resnet"):
            raise GanbenchError(f"StyleGAN2 discriminator architecture {architecture!r}: orig or resnet")
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        self.block_resolutions = [2**i for i in range(int(math.log2(img_resolution)), 2, -1)]
        ch = {r: min(channel_base // r, channel_max) for r in self.block_resolutions + [4]}
        cmap_dim = ch[4] if c_dim else 0
        for r in self.block_resolutions:
            setattr(
                self,
                f"b{r}",
                DiscriminatorBlock(
                    ch[r] if r < img_resolution else 0, ch[r], ch[r // 2], img_channels, architecture, conv_clamp
                ),
            )
        if c_dim:  # the reference's D mapping gets no mapping_kwargs from train.py: 8 layers, lr x 0.01
            self.mapping = MappingNetwork(0, c_dim, cmap_dim, None, num_layers=map_layers, w_avg_beta=None)
        self.b4 = DiscriminatorEpilogue(ch[4], cmap_dim, 4, mbstd_group_size, mbstd_num_channels, conv_clamp)

    def forward(self, img, c=None, update_emas: bool = False, **_ignored):
        x = None
        for r in self.block_resolutions:
            x = getattr(self, f"b{r}")(x, img)
        cmap = self.mapping(None, c) if self.c_dim else None
        return self.b4(x, cmap)
