"""StyleGAN2's building blocks in plain PyTorch (Karras et al. 2020), computing what the `impl='ref'`
paths of NVlabs/stylegan2-ada-pytorch's torch_utils/ops compute (upfirdn2d, bias_act, conv2d_resample),
operation for operation, so that outputs agree with the reference to float rounding. No custom CUDA
kernels: on a GPU this is the reference's slower fallback path (its CUDA kernels are faster; the cost
was not measured here, no GPU).

Weights are stored N(0, 1) and scaled at run time (equalised learning rate): `weight_gain`
= lr_multiplier / sqrt(fan_in), as the reference does, so Adam's steps are scale-free per layer."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import GanbenchError

SQRT2 = math.sqrt(2)
ACT_GAIN = {"linear": 1.0, "lrelu": SQRT2}  # bias_act's default gains


def setup_filter(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """A 2D FIR filter from 1D taps: outer product, normalised to sum 1 (fewer than 8 taps: 2D, as the
    reference chooses)."""
    f = torch.as_tensor(list(taps), dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(
    x: torch.Tensor, f: Optional[torch.Tensor], up: int = 1, down: int = 1, pad=(0, 0, 0, 0), gain: float = 1.0
) -> torch.Tensor:
    """Insert up-1 zeros after each pixel, pad (negative: crop) by (x0, x1, y0, y1), convolve each channel
    with f * gain, keep every down-th pixel."""
    n, c, h, w = x.shape
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32, device=x.device)
    x0, x1, y0, y1 = pad
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0) : x.shape[2] - max(-y1, 0), max(-x0, 0) : x.shape[3] - max(-x1, 0)]
    f = (f * gain).to(x.dtype).flip([0, 1])  # convolution, not correlation
    x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::down, ::down]


def upsample2d(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    k = f.shape[-1]
    a, b = (k + 1) // 2, (k - 2) // 2
    return upfirdn2d(x, f, up=2, pad=(a, b, a, b), gain=4.0)


def downsample2d(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    k = f.shape[-1]
    return upfirdn2d(x, f, down=2, pad=((k - 1) // 2, (k - 2) // 2, (k - 1) // 2, (k - 2) // 2))


def bias_act(
    x: torch.Tensor,
    b: Optional[torch.Tensor],
    act: str = "linear",
    gain: Optional[float] = None,
    clamp: Optional[float] = None,
) -> torch.Tensor:
    """x + b (along dim 1), activation (lrelu slope 0.2), times gain (default: the activation's), clamped to
    +-clamp."""
    if b is not None:
        x = x + b.reshape([-1 if i == 1 else 1 for i in range(x.ndim)])
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
    elif act != "linear":
        raise ValueError(f"activation {act!r}: linear or lrelu")
    gain = ACT_GAIN[act] if gain is None else float(gain)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def conv2d_resample(
    x: torch.Tensor,
    w: torch.Tensor,
    f: Optional[torch.Tensor] = None,
    up: int = 1,
    down: int = 1,
    padding: int = 0,
    groups: int = 1,
    flip_weight: bool = True,
) -> torch.Tensor:
    """Convolution with FIR-filtered 2x up- or downsampling; padding is with respect to the upsampled
    image. The cases and their order of operations are the reference's (each a different rounding)."""
    assert up == 1 or down == 1
    cout, cin_g, kh, kw = w.shape
    fk = 1 if f is None else f.shape[-1]
    p0 = p1 = padding
    if up > 1:
        p0, p1 = p0 + (fk + up - 1) // 2, p1 + (fk - up) // 2
    if down > 1:
        p0, p1 = p0 + (fk - down + 1) // 2, p1 + (fk - down) // 2
    if not flip_weight:
        w_c = w.flip([2, 3])
    else:
        w_c = w
    if kh == 1 and down > 1:
        x = upfirdn2d(x, f, down=down, pad=(p0, p1, p0, p1))
        return F.conv2d(x, w_c, groups=groups)
    if kh == 1 and up > 1:
        x = F.conv2d(x, w_c, groups=groups)
        return upfirdn2d(x, f, up=up, pad=(p0, p1, p0, p1), gain=up**2)
    if down > 1:
        x = upfirdn2d(x, f, pad=(p0, p1, p0, p1))
        return F.conv2d(x, w_c, stride=down, groups=groups)
    if up > 1:  # transposed convolution (stride 2), then the filter
        if groups == 1:
            w = w.transpose(0, 1)
        else:
            w = w.reshape(groups, cout // groups, cin_g, kh, kw).transpose(1, 2)
            w = w.reshape(groups * cin_g, cout // groups, kh, kw)
        q0, q1 = p0 - (kw - 1), p1 - (kw - up)
        t = max(min(-q0, -q1), 0)
        if flip_weight:  # the transposed op flips, so the reference passes (not flip_weight) down
            w = w.flip([2, 3])
        x = F.conv_transpose2d(x, w, stride=up, padding=[t, t], groups=groups)
        return upfirdn2d(x, f, pad=(q0 + t, q1 + t, q0 + t, q1 + t), gain=up**2)
    if p0 == p1 and p0 >= 0:
        return F.conv2d(x, w_c, padding=p0, groups=groups)
    x = upfirdn2d(x, None, pad=(p0, p1, p0, p1))
    return F.conv2d(x, w_c, groups=groups)


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: Optional[torch.Tensor] = None,
    up: int = 1,
    padding: int = 0,
    resample_filter: Optional[torch.Tensor] = None,
    demodulate: bool = True,
    flip_weight: bool = True,
    fused: bool = True,
) -> torch.Tensor:
    """Scale the weight's input channels by each sample's style, divide each output channel by its norm
    (demodulation), convolve; fused: one grouped convolution with per-sample weights, else scale the
    activations before and after one shared convolution (the reference uses the latter in training)."""
    n = x.shape[0]
    cout, cin, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1) if demodulate or fused else None  # [N, O, I, k, k]
    dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() if demodulate and w is not None else None  # [N, O]
    if not fused:
        x = x * styles.reshape(n, -1, 1, 1)
        x = conv2d_resample(x, weight, f=resample_filter, up=up, padding=padding, flip_weight=flip_weight)
        if dcoefs is not None and noise is not None:
            return torch.addcmul(noise, x, dcoefs.reshape(n, -1, 1, 1))
        if dcoefs is not None:
            return x * dcoefs.reshape(n, -1, 1, 1)
        return x + noise if noise is not None else x
    assert w is not None  # fused
    if dcoefs is not None:
        w = w * dcoefs.reshape(n, -1, 1, 1, 1)
    x = conv2d_resample(
        x.reshape(1, -1, *x.shape[2:]),
        w.reshape(-1, cin, kh, kw),
        f=resample_filter,
        up=up,
        padding=padding,
        groups=n,
        flip_weight=flip_weight,
    )
    x = x.reshape(n, -1, *x.shape[2:])
    return x + noise if noise is not None else x


class FullyConnectedLayer(nn.Module):
    def __init__(
        self,
        cin: int,
        cout: int,
        bias: bool = True,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn([cout, cin]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([cout], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(cin)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b: Optional[torch.Tensor] = self.bias
        if b is not None and self.bias_gain != 1:
            b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(nn.Module):
    """Equalised-lr convolution + bias_act, with optional FIR 2x down/upsampling and clamping."""

    resample_filter: torch.Tensor  # a buffer

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        bias: bool = True,
        activation: str = "linear",
        up: int = 1,
        down: int = 1,
        conv_clamp: Optional[float] = None,
    ):
        super().__init__()
        self.activation, self.up, self.down, self.conv_clamp = activation, up, down, conv_clamp
        self.register_buffer("resample_filter", setup_filter())
        self.padding = kernel // 2
        self.weight_gain = 1 / math.sqrt(cin * kernel**2)
        self.weight = nn.Parameter(torch.randn([cout, cin, kernel, kernel]))
        self.bias = nn.Parameter(torch.zeros([cout])) if bias else None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        x = conv2d_resample(
            x,
            self.weight * self.weight_gain,
            f=self.resample_filter,
            up=self.up,
            down=self.down,
            padding=self.padding,
            flip_weight=(self.up == 1),
        )
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=ACT_GAIN[self.activation] * gain, clamp=clamp)


class MinibatchStdLayer(nn.Module):
    """The std of each feature over groups of `group_size` samples (sample i is in group i mod n/G, as
    the reference's reshape makes it), averaged over channels and pixels, appended as `num_channels`
    feature maps. A batch not divisible by the group size (where the reference fails) uses one group."""

    def __init__(self, group_size: Optional[int], num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size is not None else n
        if n % g:
            g = n
        nf = self.num_channels
        y = x.reshape(g, -1, nf, c // nf, h, w)
        y = y - y.mean(dim=0)
        y = (y.square().mean(dim=0) + 1e-8).sqrt()
        y = y.mean(dim=[2, 3, 4]).reshape(-1, nf, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)


def as_labels(c: Optional[torch.Tensor], c_dim: int, who: str) -> Optional[torch.Tensor]:
    """The reference's c ([N, c_dim] floats, one-hot) from integer labels [N] or from itself."""
    if not c_dim:
        return None
    if c is None:
        raise GanbenchError(f"{who} is class-conditional (c_dim={c_dim}): pass labels c")
    if not torch.is_floating_point(c):
        return F.one_hot(c.long(), c_dim).float()
    return c.float()


def load_reference_state(module: nn.Module, state: dict) -> None:
    """Load a stylegan2-ada-pytorch state dict (G, G_ema or D; names are the same here) into `module`,
    naming what is missing, unexpected or of another shape."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    shapes = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or shapes:
        raise GanbenchError(
            f"StyleGAN2 state does not fit this network (missing {missing[:3]}, unexpected "
            f"{extra[:3]}, other shape {shapes[:3]}): build it with the checkpoint's z_dim, c_dim "
            "and resolution"
        )
    module.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
