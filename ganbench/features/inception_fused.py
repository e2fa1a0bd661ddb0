"""The FID Inception-v3 rewritten for inference speed, with exactly the reference's outputs.

Built from a loaded `inception.InceptionV3`; tests/test_speed_equivalence.py checks every rewrite
against the layer-by-layer reference.
"""

from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .inception import BlockA, BlockB, BlockC, BlockD, BlockE, ConvBN, InceptionV3, _avg3, spatial_features

MIXED_6D = 6  # its index in FusedInceptionV3.blocks: 5b 5c 5d 6a 6b 6c 6d


def _mkldnn_pointwise_ok() -> bool:
    try:
        return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_convolution_pointwise")
    except (AttributeError, RuntimeError):  # pragma: no cover - builds without oneDNN
        return False


class FusedConv(nn.Module):
    """A convolution with the batch norm folded in and the ReLU fused (oneDNN post-op on CPU)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, stride, padding, relu: bool = True):
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone().contiguous(), requires_grad=False)
        self.bias = nn.Parameter(bias.detach().clone().contiguous(), requires_grad=False)
        self.stride = list(_pair(stride))
        self.padding = list(_pair(padding))
        self.relu = relu
        self.pointwise = _mkldnn_pointwise_ok()

    @classmethod
    def from_convbn(cls, m: ConvBN, relu: bool = True) -> FusedConv:
        w, b = _folded(m)
        return cls(w, b, m.conv.stride, m.conv.padding, relu)

    @classmethod
    def merged(cls, layers) -> FusedConv:
        """Several convolutions of the same input, kernel, stride and padding as one wider one."""
        ws, bs = zip(*(_folded(m) for m in layers))
        c = layers[0].conv
        return cls(torch.cat(ws), torch.cat(bs), c.stride, c.padding)

    def forward(self, x):
        # the oneDNN op is not an autocast op: under bf16 autocast the plain convolution is (and casts)
        if (
            self.pointwise
            and x.device.type == "cpu"
            and x.dtype == torch.float32
            and not torch.is_autocast_enabled("cpu")
        ):
            return torch.ops.mkldnn._convolution_pointwise(
                x, self.weight, self.bias, self.padding, self.stride, [1, 1], 1, "relu" if self.relu else "none", [], ""
            )
        y = F.conv2d(x, self.weight, self.bias, self.stride, self.padding)
        return F.relu(y, inplace=True) if self.relu else y


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _folded(m: ConvBN) -> Tuple[torch.Tensor, torch.Tensor]:
    """(weight, bias) of conv -> BN as a single convolution, computed in float64."""
    bn = m.bn
    assert bn.running_var is not None and bn.running_mean is not None  # track_running_stats (the default)
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    w = m.conv.weight.double() * scale.view(-1, 1, 1, 1)
    b = bn.bias.double() - bn.running_mean.double() * scale
    dt = m.conv.weight.dtype
    return w.to(dt), b.to(dt)


class _AvgPoolBranch(nn.Module):
    """branch_pool = ReLU(conv1x1(avg3(x)) + b), computed as ReLU(avg3(conv1x1(x)) + b).

    Both the 3x3 average (padding excluded, so a constant stays constant) and the 1x1
    convolution are linear and act on different axes, so they commute exactly; pooling
    after the convolution averages its 32-192 output channels instead of 192-1280 inputs.
    """

    def __init__(self, m: ConvBN):
        super().__init__()
        w, b = _folded(m)
        self.conv = FusedConv(w, torch.zeros_like(b), 1, 0, relu=False)
        self.bias = nn.Parameter(b.detach().clone().view(1, -1, 1, 1), requires_grad=False)

    def forward(self, x):
        y = _avg3(self.conv(x))
        return F.relu(y.add_(self.bias), inplace=True)


class _FusedA(nn.Module):
    def __init__(self, blk: BlockA):
        super().__init__()
        self.head = FusedConv.merged([blk.branch1x1, blk.branch5x5_1, blk.branch3x3dbl_1])
        self.b5 = FusedConv.from_convbn(blk.branch5x5_2)
        self.b3_2 = FusedConv.from_convbn(blk.branch3x3dbl_2)
        self.b3_3 = FusedConv.from_convbn(blk.branch3x3dbl_3)
        self.pool = _AvgPoolBranch(blk.branch_pool)

    def forward(self, x):
        h = self.head(x)
        b1, b5, b3 = h[:, :64], h[:, 64:112], h[:, 112:]
        return torch.cat([b1, self.b5(b5), self.b3_3(self.b3_2(b3)), self.pool(x)], 1)


class _FusedB(nn.Module):
    def __init__(self, blk: BlockB):
        super().__init__()
        self.b3 = FusedConv.from_convbn(blk.branch3x3)
        self.d1 = FusedConv.from_convbn(blk.branch3x3dbl_1)
        self.d2 = FusedConv.from_convbn(blk.branch3x3dbl_2)
        self.d3 = FusedConv.from_convbn(blk.branch3x3dbl_3)

    def forward(self, x):
        return torch.cat([self.b3(x), self.d3(self.d2(self.d1(x))), F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _FusedC(nn.Module):
    def __init__(self, blk: BlockC):
        super().__init__()
        self.c7 = blk.branch7x7_1.conv.out_channels
        self.head = FusedConv.merged([blk.branch1x1, blk.branch7x7_1, blk.branch7x7dbl_1])
        self.b7 = nn.Sequential(*(FusedConv.from_convbn(m) for m in (blk.branch7x7_2, blk.branch7x7_3)))
        self.bd = nn.Sequential(
            *(
                FusedConv.from_convbn(m)
                for m in (blk.branch7x7dbl_2, blk.branch7x7dbl_3, blk.branch7x7dbl_4, blk.branch7x7dbl_5)
            )
        )
        self.pool = _AvgPoolBranch(blk.branch_pool)

    def forward(self, x, tap: bool = False):
        h = self.head(x)
        c7 = self.c7
        b1, b7, bd = h[:, :192], h[:, 192 : 192 + c7], h[:, 192 + c7 :]
        out = torch.cat([b1, self.b7(b7), self.bd(bd), self.pool(x)], 1)
        return (out, b1) if tap else out  # b1: the 1x1 branch after its ReLU


class _FusedD(nn.Module):
    def __init__(self, blk: BlockD):
        super().__init__()
        self.head = FusedConv.merged([blk.branch3x3_1, blk.branch7x7x3_1])
        self.b3 = FusedConv.from_convbn(blk.branch3x3_2)
        self.b7 = nn.Sequential(
            *(FusedConv.from_convbn(m) for m in (blk.branch7x7x3_2, blk.branch7x7x3_3, blk.branch7x7x3_4))
        )

    def forward(self, x):
        h = self.head(x)
        return torch.cat([self.b3(h[:, :192]), self.b7(h[:, 192:]), F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _FusedE(nn.Module):
    def __init__(self, blk: BlockE):
        super().__init__()
        self.max_pool = blk.pool == "max"
        self.head = FusedConv.merged([blk.branch1x1, blk.branch3x3_1, blk.branch3x3dbl_1])
        self.b3a = FusedConv.from_convbn(blk.branch3x3_2a)
        self.b3b = FusedConv.from_convbn(blk.branch3x3_2b)
        self.d2 = FusedConv.from_convbn(blk.branch3x3dbl_2)
        self.d3a = FusedConv.from_convbn(blk.branch3x3dbl_3a)
        self.d3b = FusedConv.from_convbn(blk.branch3x3dbl_3b)
        # the max pool of Mixed_7c does not commute with the convolution; the average one does
        self.pool = FusedConv.from_convbn(blk.branch_pool) if self.max_pool else _AvgPoolBranch(blk.branch_pool)

    def forward(self, x):
        h = self.head(x)
        b1, b3, bd = h[:, :320], h[:, 320:704], h[:, 704:]
        bd = self.d2(bd)
        p = self.pool(F.max_pool2d(x, kernel_size=3, stride=1, padding=1)) if self.max_pool else self.pool(x)
        return torch.cat([b1, self.b3a(b3), self.b3b(b3), self.d3a(bd), self.d3b(bd), p], 1)


class FusedInceptionV3(nn.Module):
    """The same network rewritten for inference speed; takes (N,3,299,299) floats in [0, 255].

    Exact rewrites only (results change by float32 rounding, ~1e-6 relative): batch norms
    folded into the convolutions (in float64), the ReLUs fused into them, the 1x1
    convolutions that read the same block input merged into one wider convolution, the
    average-pool branches pooled after their 1x1 convolution (fewer channels), and the
    input scaling (x - 128) / 128 folded into the first convolution (it has no padding, so
    every output sees only real pixels). Use channels_last inputs on CPU.
    """

    def __init__(self, model: InceptionV3, logits: bool = True):
        super().__init__()
        w, b = _folded(model.Conv2d_1a_3x3)
        w64 = w.double()
        # conv(w, (x - 128) / 128) + b = conv(w / 128, x) + (b - sum(w))
        stem_b = (b.double() - w64.sum(dim=(1, 2, 3))).to(b.dtype)
        self.stem = nn.ModuleList(
            [
                FusedConv((w64 / 128).to(w.dtype), stem_b, 2, 0),
                FusedConv.from_convbn(model.Conv2d_2a_3x3),
                FusedConv.from_convbn(model.Conv2d_2b_3x3),
                FusedConv.from_convbn(model.Conv2d_3b_1x1),
                FusedConv.from_convbn(model.Conv2d_4a_3x3),
            ]
        )
        self.blocks = nn.ModuleList(
            [_FusedA(model.Mixed_5b), _FusedA(model.Mixed_5c), _FusedA(model.Mixed_5d), _FusedB(model.Mixed_6a)]
            + [_FusedC(getattr(model, f"Mixed_6{c}")) for c in "bcde"]
            + [_FusedD(model.Mixed_7a), _FusedE(model.Mixed_7b), _FusedE(model.Mixed_7c)]
        )
        # pool3-only weights have no classifier: then no logits are computed or returned
        self.fc_weight_t = (
            nn.Parameter(model.fc.weight.detach().t().contiguous(), requires_grad=False) if logits else None
        )

    def forward(self, x, spatial: bool = False) -> Tuple[torch.Tensor, ...]:
        s = self.stem
        x = s[2](s[1](s[0](x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = s[4](s[3](x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for i, block in enumerate(self.blocks):
            if spatial and i == MIXED_6D:
                x, b1 = block(x, tap=True)
                sp = spatial_features(b1)
            else:
                x = block(x)
        pool = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        outs = (pool,) if self.fc_weight_t is None else (pool, pool.mm(self.fc_weight_t))
        return outs + (sp,) if spatial else outs
