"""StyleGAN2's generator (stylegan2-ada-pytorch's training/networks.py): the mapping network z -> w (with
w_avg and truncation) and the 'skip' synthesis network of modulated 3x3 convolutions with per-pixel noise.
Module and parameter names are the reference's; stylegan2.py has the configuration and its differences."""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from ..errors import GanbenchError
from .stylegan2_layers import (
    FullyConnectedLayer,
    as_labels,
    bias_act,
    modulated_conv2d,
    normalize_2nd_moment,
    setup_filter,
    upsample2d,
)


class MappingNetwork(nn.Module):
    w_avg: torch.Tensor  # a buffer, with num_ws and w_avg_beta

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
        assert x is not None  # a mapping network maps z, c or both
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

    resample_filter: torch.Tensor  # buffers
    noise_const: torch.Tensor

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

    resample_filter: torch.Tensor  # a buffer

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
