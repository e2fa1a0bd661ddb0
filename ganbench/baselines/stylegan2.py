"""StyleGAN2 (Karras et al. 2020) at 32x32 as `--cfg=cifar` of NVlabs/stylegan2-ada-pytorch (commit
d72cc7d041b42ec8e806021a205ed9349f87c6a4, training/networks.py and train.py): a 2-layer mapping network
(lr multiplier 0.01, w_avg tracked with beta 0.995, truncation), a skip-architecture synthesis network of
modulated, demodulated convolutions with noise inputs, and the 'orig' discriminator (no residual
connections; 'resnet' is available too) with minibatch std (group 32) and, when conditional, the
projection of D's output on a mapping of the label (cmap). channel_base 32768, channel_max 512,
conv_clamp 256: every layer has 512 channels.

Module and parameter names equal the reference's, so its state dicts (and those of the official
pickles, read by something that does not unpickle code) load with `load_reference_state`.

Documented differences: (1) everything runs in float32: the cifar cfg's mixed precision (num_fp16_res=4)
is not reproduced; the reference's `force_fp32=True` path is what ganbench equals (benchmarks/reference/
stylegan2_fixture.py). (2) `update_emas` follows the later stylegan3 interface: w_avg moves only when a
call passes update_emas=True (stylegan2-ada updates it on every call in training mode unless told
skip_w_avg_update). (3) c may be integer class labels (one-hot encoded here) as well as the reference's
float one-hot rows. (4) random noise takes an optional torch.Generator, or a list of one per sample (`generator=` or the
synthesis network's `noise_generator` attribute), so training and sampling draw it from ganbench's seeded
streams; without one it is torch.randn from the global generator, in the reference's order."""

from __future__ import annotations

import math
from functools import partial
from typing import Optional

import torch
import torch.nn as nn

from ..errors import GanbenchError
from .base import Architecture
from .stylegan2_layers import (
    Conv2dLayer,
    FullyConnectedLayer,
    MinibatchStdLayer,
    as_labels,
    bias_act,
    load_reference_state,  # noqa: F401  (re-exported: the documented place to load reference weights)
    modulated_conv2d,
    normalize_2nd_moment,
    setup_filter,
    upsample2d,
)

CIFAR = dict(channel_base=32768, channel_max=512, conv_clamp=256, map_layers=2)


class MappingNetwork(nn.Module):
    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        num_ws: Optional[int],
        num_layers: int = 8,
        lr_multiplier: float = 0.01,
        w_avg_beta: Optional[float] = 0.995,
    ):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.num_layers, self.w_avg_beta = num_layers, w_avg_beta
        embed = w_dim if c_dim else 0
        features = [z_dim + embed] + [w_dim] * num_layers
        if c_dim:
            self.embed = FullyConnectedLayer(c_dim, embed)
        for i in range(num_layers):
            setattr(
                self,
                f"fc{i}",
                FullyConnectedLayer(features[i], features[i + 1], activation="lrelu", lr_multiplier=lr_multiplier),
            )
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(
        self, z, c=None, truncation_psi: float = 1, truncation_cutoff: Optional[int] = None, update_emas: bool = False
    ) -> torch.Tensor:
        x = normalize_2nd_moment(z.float()) if self.z_dim else None
        c = as_labels(c, self.c_dim, "this mapping network")
        if self.c_dim:
            y = normalize_2nd_moment(self.embed(c))
            x = torch.cat([x, y], dim=1) if x is not None else y
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        if update_emas and self.w_avg_beta is not None:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if self.num_ws is not None:
            x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:  # w_avg + psi (w - w_avg), on the first `truncation_cutoff` ws or all
            if self.num_ws is None or truncation_cutoff is None:
                x = self.w_avg.lerp(x, truncation_psi)
            else:
                x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3x3 convolution (optionally 2x up), per-pixel noise times a learned strength, bias, lrelu."""

    def __init__(self, cin: int, cout: int, w_dim: int, resolution: int, up: int = 1, conv_clamp=None):
        super().__init__()
        self.resolution, self.up, self.conv_clamp = resolution, up, conv_clamp
        self.register_buffer("resample_filter", setup_filter())
        self.padding = 1
        self.affine = FullyConnectedLayer(w_dim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn([cout, cin, 3, 3]))
        self.register_buffer("noise_const", torch.randn([resolution, resolution]))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([cout]))

    def forward(
        self,
        x,
        w,
        noise_mode: str = "random",
        fused_modconv: bool = True,
        gain: float = 1,
        generator: Optional[torch.Generator] = None,
    ):
        styles = self.affine(w)
        noise = None
        if noise_mode == "random":
            shape = [1, self.resolution, self.resolution]
            if isinstance(generator, (list, tuple)):  # one generator per sample: draws independent of batching
                noise = torch.stack([torch.randn(shape, generator=g, device=g.device) for g in generator]).to(x.device)
            else:
                noise = torch.randn([x.shape[0]] + shape, device=x.device, generator=generator)
            noise = noise * self.noise_strength
        elif noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        x = modulated_conv2d(
            x,
            self.weight,
            styles,
            noise=noise,
            up=self.up,
            padding=self.padding,
            resample_filter=self.resample_filter,
            flip_weight=(self.up == 1),
            fused=fused_modconv,
        )
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act="lrelu", gain=math.sqrt(2) * gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    def __init__(self, cin: int, cout: int, w_dim: int, conv_clamp=None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn([cout, cin, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([cout]))
        self.weight_gain = 1 / math.sqrt(cin)

    def forward(self, x, w, fused_modconv: bool = True):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused=fused_modconv)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """'skip' architecture: conv0 (2x up, absent at 4x4 where a learned constant starts), conv1, and a
    ToRGB whose output is added to the upsampled image of the blocks before."""

    def __init__(self, cin: int, cout: int, w_dim: int, resolution: int, img_channels: int, conv_clamp=None):
        super().__init__()
        self.in_channels, self.resolution = cin, resolution
        self.register_buffer("resample_filter", setup_filter())
        if cin == 0:
            self.const = nn.Parameter(torch.randn([cout, resolution, resolution]))
        else:
            self.conv0 = SynthesisLayer(cin, cout, w_dim, resolution, up=2, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(cout, cout, w_dim, resolution, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(cout, img_channels, w_dim, conv_clamp=conv_clamp)
        self.num_conv, self.num_torgb = (1 if cin == 0 else 2), 1

    def forward(self, x, img, ws, fused_modconv=None, **layer_kwargs):
        w = iter(ws.unbind(dim=1))
        if fused_modconv is None:  # the reference's choice: fused at inference, separate ops in training
            fused_modconv = not self.training
        if self.in_channels == 0:
            x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
        else:
            x = self.conv0(x, next(w), fused_modconv=fused_modconv, **layer_kwargs)
        x = self.conv1(x, next(w), fused_modconv=fused_modconv, **layer_kwargs)
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        y = self.torgb(x, next(w), fused_modconv=fused_modconv)
        return x, (img + y if img is not None else y)


class SynthesisNetwork(nn.Module):
    def __init__(
        self,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        channel_base: int = 32768,
        channel_max: int = 512,
        conv_clamp=None,
    ):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [2**i for i in range(2, int(math.log2(img_resolution)) + 1)]
        ch = {r: min(channel_base // r, channel_max) for r in self.block_resolutions}
        self.num_ws = 0
        for r in self.block_resolutions:
            block = SynthesisBlock(ch[r // 2] if r > 4 else 0, ch[r], w_dim, r, img_channels, conv_clamp=conv_clamp)
            self.num_ws += block.num_conv
            setattr(self, f"b{r}", block)
        self.num_ws += 1  # the last ToRGB's w; each other ToRGB shares the next block's first w
        self.noise_generator: Optional[torch.Generator] = None

    def forward(
        self,
        ws,
        noise_mode: str = "random",
        update_emas: bool = False,
        generator: Optional[torch.Generator] = None,
        fused_modconv=None,
        **_ignored,
    ):
        if noise_mode not in ("random", "const", "none"):
            raise GanbenchError(f"noise_mode={noise_mode!r}: pass random, const or none")
        if ws.shape[1:] != (self.num_ws, self.w_dim):
            raise GanbenchError(
                f"ws of shape {tuple(ws.shape)}: the synthesis network takes [N, {self.num_ws}, {self.w_dim}]"
            )
        generator = generator if generator is not None else self.noise_generator
        ws = ws.float()
        x = img = None
        i = 0
        for r in self.block_resolutions:
            block = getattr(self, f"b{r}")
            x, img = block(
                x,
                img,
                ws.narrow(1, i, block.num_conv + block.num_torgb),
                fused_modconv=fused_modconv,
                noise_mode=noise_mode,
                generator=generator,
            )
            i += block.num_conv
        return img


class Generator(nn.Module):
    def __init__(
        self,
        z_dim: int = 512,
        c_dim: int = 0,
        w_dim: int = 512,
        img_resolution: int = 32,
        img_channels: int = 3,
        map_layers: int = 2,
        channel_base: int = 32768,
        channel_max: int = 512,
        conv_clamp=256,
    ):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels, channel_base, channel_max, conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, self.num_ws, num_layers=map_layers)

    def forward(
        self,
        z,
        c=None,
        truncation_psi: float = 1,
        truncation_cutoff: Optional[int] = None,
        update_emas: bool = False,
        **synthesis_kwargs,
    ):
        ws = self.mapping(
            z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff, update_emas=update_emas
        )
        return self.synthesis(ws, update_emas=update_emas, **synthesis_kwargs)


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
        mbstd_group_size: int = 32,
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


def networks(
    z_dim: int,
    num_classes: int = 0,
    mbstd_group: int = 32,
    channel_base: int = 32768,
    channel_max: int = 512,
    architecture: str = "orig",
):
    """The cifar cfg's G and D (mbstd_group 0: no minibatch-std layer); smaller widths for CPU variants."""
    widths = dict(channel_base=channel_base, channel_max=channel_max)
    G = Generator(z_dim=z_dim, c_dim=num_classes, **widths)
    D = Discriminator(
        c_dim=num_classes,
        architecture=architecture,
        mbstd_group_size=mbstd_group or None,
        mbstd_num_channels=1 if mbstd_group else 0,
        **widths,
    )
    return G, D


STYLEGAN2_CIFAR = Architecture(
    "stylegan2-cifar",
    None,
    None,
    (3, 32, 32),
    networks=networks,
    bounded=False,
    reference="NVlabs/stylegan2-ada-pytorch@d72cc7d training/networks.py, train.py --cfg=cifar (map=2, D 'orig', "
    "channel_base 32768, channel_max 512, conv_clamp 256, mbstd group 32)",
)
# Width-reduced (32 channels at every resolution, the rest as the cifar cfg): a CPU-sized variant for tests
# and small-data boards, not the reference's network.
STYLEGAN2_SMALL = Architecture(
    "stylegan2-small",
    None,
    None,
    (3, 32, 32),
    networks=partial(networks, channel_base=1024, channel_max=32),
    bounded=False,
    reference="stylegan2-cifar with channel_base 1024, channel_max 32 (not a published network)",
)
