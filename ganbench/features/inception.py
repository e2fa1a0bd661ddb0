"""The FID Inception-v3: the TensorFlow 2015-12-05 graph the literature reports FID/IS/KID with.

Matches torch-fidelity's `FeatureExtractorInceptionV3` and pytorch-fid's `FIDInceptionA..E`
layer for layer, with the same state-dict keys, so the same weights file loads into either.
The TF graph differs from torchvision's Inception-v3 in three places, kept here:
average pools that do not count padding, and a max pool in the last block's pool branch.

Outputs: pool3 (2048-d, after the global average pool) and the 1008-way logits without
the fc bias ("logits_unbiased"), which the Inception Score uses; with `spatial=True` also
the TF graph's `mixed_6/conv` (Mixed_6d's 1x1 branch, after its ReLU), first 7 of 192 channels
of the 17x17 grid flattened in TF's (h, w, c) order: the 2023-d features of sFID (Nash et al.
2021), as the guided-diffusion (ADM) evaluator takes them.
"""

from __future__ import annotations

from typing import Dict, Tuple, cast

import torch
import torch.nn.functional as F
from torch import nn

POOL_DIM = 2048
NUM_CLASSES = 1008
INPUT_SIZE = 299
SPATIAL_CHANNELS = 7  # of mixed_6/conv's 192, as ADM's evaluator keeps
SPATIAL_DIM = 17 * 17 * SPATIAL_CHANNELS  # 2023


def spatial_features(t: torch.Tensor) -> torch.Tensor:
    """(N, >=7, 17, 17) mixed_6/conv activations -> (N, 2023), TF's NHWC flattening order."""
    return t[:, :SPATIAL_CHANNELS].permute(0, 2, 3, 1).reshape(len(t), -1)


class ConvBN(nn.Module):
    """conv (no bias) -> batch norm (eps 1e-3, TF's) -> ReLU; keys `conv.*` and `bn.*`."""

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)
        self.folded: nn.Conv2d | None = None

    def fold(self) -> None:
        """Fold the inference-time batch norm into the convolution: one pass instead of two."""
        mean, var = self.bn.running_mean, self.bn.running_var
        assert mean is not None and var is not None  # track_running_stats (the default)
        scale = self.bn.weight / torch.sqrt(var + self.bn.eps)
        conv = nn.Conv2d(
            self.conv.in_channels,
            self.conv.out_channels,
            cast(Tuple[int, int], self.conv.kernel_size),
            stride=cast(Tuple[int, int], self.conv.stride),
            padding=cast(Tuple[int, int], self.conv.padding),
            bias=True,
        )
        assert conv.bias is not None
        with torch.no_grad():
            conv.weight.copy_(self.conv.weight * scale.view(-1, 1, 1, 1))
            conv.bias.copy_(self.bn.bias - mean * scale)
        conv.to(self.conv.weight.device, self.conv.weight.dtype)
        self.folded = conv

    def forward(self, x):
        if self.folded is not None:
            return F.relu(self.folded(x), inplace=True)
        return F.relu(self.bn(self.conv(x)), inplace=True)


def _avg3(x):
    # TF's SAME average pool divides by the number of valid (unpadded) inputs.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):  # Mixed_5b..5d
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 64, 1)
        self.branch5x5_1 = ConvBN(cin, 48, 1)
        self.branch5x5_2 = ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(cin, pool_features, 1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_avg3(x))
        return torch.cat([b1, b5, b3, bp], 1)


class BlockB(nn.Module):  # Mixed_6a: grid reduction 35 -> 17
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class BlockC(nn.Module):  # Mixed_6b..6e: factorised 7x7
    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 192, 1)
        self.branch7x7_1 = ConvBN(cin, c7, 1)
        self.branch7x7_2 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvBN(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvBN(cin, c7, 1)
        self.branch7x7dbl_2 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvBN(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        bp = self.branch_pool(_avg3(x))
        return torch.cat([b1, b7, bd, bp], 1)


class BlockD(nn.Module):  # Mixed_7a: grid reduction 17 -> 8
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = ConvBN(cin, 192, 1)
        self.branch3x3_2 = ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBN(cin, 192, 1)
        self.branch7x7x3_2 = ConvBN(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvBN(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvBN(192, 192, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for layer in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class BlockE(nn.Module):  # Mixed_7b, 7c: expanded filter bank
    def __init__(self, cin: int, pool: str):
        super().__init__()
        self.pool = pool
        self.branch1x1 = ConvBN(cin, 320, 1)
        self.branch3x3_1 = ConvBN(cin, 384, 1)
        self.branch3x3_2a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvBN(cin, 448, 1)
        self.branch3x3dbl_2 = ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.pool == "max":  # the TF graph's Mixed_7c uses a max pool here
            p = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            p = _avg3(x)
        return torch.cat([b1, b3, bd, self.branch_pool(p)], 1)


class InceptionV3(nn.Module):
    """Takes (N,3,299,299) float images already scaled to [-1, 1]; returns (pool3, logits_unbiased)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, pool="avg")
        self.Mixed_7c = BlockE(2048, pool="max")
        self.fc = nn.Linear(POOL_DIM, NUM_CLASSES)

    def fold_batchnorm(self) -> InceptionV3:
        for m in self.modules():
            if isinstance(m, ConvBN):
                m.fold()
        return self

    def forward(self, x, spatial: bool = False) -> Tuple[torch.Tensor, ...]:
        x = self.Conv2d_1a_3x3(x)
        x = self.Conv2d_2a_3x3(x)
        x = self.Conv2d_2b_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_3b_1x1(x)
        x = self.Conv2d_4a_3x3(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (
            self.Mixed_5b,
            self.Mixed_5c,
            self.Mixed_5d,
            self.Mixed_6a,
            self.Mixed_6b,
            self.Mixed_6c,
            self.Mixed_6d,
            self.Mixed_6e,
            self.Mixed_7a,
            self.Mixed_7b,
            self.Mixed_7c,
        ):
            if spatial and block is self.Mixed_6d:
                sp = spatial_features(self.Mixed_6d.branch1x1(x))
            x = block(x)
        pool = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        logits_unbiased = pool.mm(self.fc.weight.t())
        return (pool, logits_unbiased, sp) if spatial else (pool, logits_unbiased)


def reference_state_dict_keys() -> Dict[str, Tuple[int, ...]]:
    """Key -> shape of the weights file this network loads (torch-fidelity / pytorch-fid layout)."""
    return {k: tuple(v.shape) for k, v in InceptionV3().state_dict().items()}
