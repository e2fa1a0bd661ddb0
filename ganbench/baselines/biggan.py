"""BigGAN for 32x32 (Brock, Donahue, Simonyan 2019), layer for layer PyTorch-StudioGAN@947b35e's
`src/models/big_resnet.py` as its `src/configs/CIFAR10/BigGAN.yaml` builds it (z 80, shared
embedding 128, G and D widths 96, attention after G's 2nd and D's 1st block, spectral norm in G and D,
projection D, orthogonal initialisation).

G: z is split into 4 chunks of z_dim / 4; the first feeds the linear layer to 4x4x384, each of the three
up-blocks gets [shared(y), its chunk] (the hierarchical latent), from which its conditional batch norms
take a gain 1 + W_g c and a bias W_b c. Up-sampling is nearest, BN eps 1e-4. D: the SNGAN ResNet's
blocks (`resnet.DBlockOptimized`, `resnet.DBlock`: StudioGAN's DiscBlock also runs an in-place ReLU that
its shortcut sees), attention after the first, width 192, ReLU, sum over positions, then the linear
head and the class projection of `base.Critic`.

Spectral norm is part of this architecture, as in the reference: torch's `spectral_norm` with
StudioGAN's eps 1e-6 on every Conv2d and Linear of G and D and on D's class embedding (not G's shared
embedding), applied here, so the `spectral_norm` option neither adds nor removes it.
benchmarks/reference/biggan_fixture.py checks the outputs against StudioGAN's with the same weights."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import Architecture, Critic
from .cgan_pd import CondGBlock
from .layers import apply_spectral_norm
from .resnet import DBlock, DBlockOptimized

SN_EPS = 1e-6  # StudioGAN's ops.snconv2d / snlinear / sn_embedding
BN_EPS = 1e-4  # StudioGAN's ops.batchnorm_2d


def ortho_init(module: nn.Module) -> nn.Module:
    """StudioGAN's ops.init_weights(..., "ortho"): orthogonal weights for every Conv2d, Linear and
    Embedding, zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.orthogonal_(m.weight)
            bias = getattr(m, "bias", None)
            if bias is not None:
                nn.init.zeros_(bias)
    return module


def _ortho_sn(layer: nn.Module) -> None:
    """D's head and projection embedding (built by base.Critic): initialised and normalised like the rest."""
    ortho_init(layer)
    nn.utils.spectral_norm(layer, eps=SN_EPS)


class HierarchicalBN(nn.Module):
    """BatchNorm without affine, then (1 + gain(c)) and bias(c) from the block's conditioning vector
    c = [shared(y), z chunk] through two bias-free linear layers (StudioGAN's ConditionalBatchNorm2d).
    Unlike cgan_pd.ConditionalBatchNorm2d (a table per class), the scale depends on z too."""

    def __init__(self, cond_dim: int, features: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(features, eps=BN_EPS, momentum=0.1, affine=False)
        self.gain = nn.Linear(cond_dim, features, bias=False)
        self.bias = nn.Linear(cond_dim, features, bias=False)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shape = (c.shape[0], -1, 1, 1)
        return self.bn(x) * (1 + self.gain(c)).view(shape) + self.bias(c).view(shape)


class GBlock(CondGBlock):
    """cgan_pd.CondGBlock's forward (BN, ReLU, up, conv, BN, ReLU, conv + up, 1x1 conv shortcut) with
    hierarchical conditional BN and nearest up-sampling."""

    def __init__(self, cin: int, cout: int, cond_dim: int):
        super(CondGBlock, self).__init__(cin, cout)  # resnet.GBlock's convs; its BNs replaced below
        self.b1, self.b2 = HierarchicalBN(cond_dim, cin), HierarchicalBN(cond_dim, cout)

    @staticmethod
    def _up(x):
        return F.interpolate(x, scale_factor=2, mode="nearest")


class SelfAttention(nn.Module):
    """SAGAN's attention (Zhang et al. 2019) as StudioGAN's ops.SelfAttention: bias-free 1x1 convs theta,
    phi (C/8) and g (C/2), phi and g max-pooled 2x2, softmax over the pooled positions, a 1x1 conv back
    to C, and x + sigma * that, sigma starting at 0."""

    def __init__(self, ch: int):
        super().__init__()
        self.theta = nn.Conv2d(ch, ch // 8, 1, bias=False)
        self.phi = nn.Conv2d(ch, ch // 8, 1, bias=False)
        self.g = nn.Conv2d(ch, ch // 2, 1, bias=False)
        self.o = nn.Conv2d(ch // 2, ch, 1, bias=False)
        self.sigma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, ch, h, w = x.shape
        theta = self.theta(x).view(n, ch // 8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).view(n, ch // 8, h * w // 4)
        attn = torch.softmax(torch.bmm(theta.transpose(1, 2), phi), -1)
        g = F.max_pool2d(self.g(x), 2).view(n, ch // 2, h * w // 4)
        o = self.o(torch.bmm(g, attn.transpose(1, 2)).view(n, ch // 2, h, w))
        return x + self.sigma * o


class Generator(nn.Module):
    blocks_count = 3

    def __init__(
        self,
        z_dim: int = 80,
        num_classes: int = 10,
        ch: int = 96,
        shared_dim: int = 128,
        attn_after: int = 2,
        bottom: int = 4,
    ):
        super().__init__()
        if z_dim % (self.blocks_count + 1):
            from ..errors import GanbenchError

            raise GanbenchError(
                f"biggan splits z into {self.blocks_count + 1} equal chunks: z_dim={z_dim} does not "
                f"divide; --set z_dim=<a multiple of {self.blocks_count + 1}> (the config's is 80)"
            )
        self.z_dim, self.num_classes, self.bottom, self.attn_after = z_dim, num_classes, bottom, attn_after
        self.chunk = z_dim // (self.blocks_count + 1)
        width = 4 * ch
        self.linear = nn.Linear(self.chunk, width * bottom * bottom)
        self.shared = nn.Embedding(num_classes, shared_dim)
        self.blocks = nn.ModuleList(GBlock(width, width, shared_dim + self.chunk) for _ in range(self.blocks_count))
        self.attention = SelfAttention(width)
        self.bn = nn.BatchNorm2d(width, eps=BN_EPS, momentum=0.1)
        self.conv_out = nn.Conv2d(width, 3, 3, 1, 1)
        apply_spectral_norm(ortho_init(self), eps=SN_EPS)  # every Conv2d and Linear, not the shared embedding

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        zs = torch.split(z, self.chunk, 1)
        shared = self.shared(y)
        h = self.linear(zs[0]).view(z.shape[0], -1, self.bottom, self.bottom)
        for i, (block, chunk) in enumerate(zip(self.blocks, zs[1:])):
            h = block(h, torch.cat([shared, chunk], 1))
            if i + 1 == self.attn_after:
                h = self.attention(h)
        return torch.tanh(self.conv_out(F.relu(self.bn(h))))


class Body(nn.Module):
    """D without its head and projection (base.Critic adds those): 32 -> 16 -> 8 -> 8 -> 8."""

    def __init__(self, ch: int = 96):
        super().__init__()
        width = 2 * ch
        self.block1 = DBlockOptimized(3, width)
        self.attention = SelfAttention(width)
        self.block2 = DBlock(width, width, down=True)
        self.block3 = DBlock(width, width, down=False)
        self.block4 = DBlock(width, width, down=False)
        apply_spectral_norm(ortho_init(self), eps=SN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.attention(self.block1(x))
        h = self.block4(self.block3(self.block2(h)))
        return F.relu(h).sum((2, 3))


def _generator(z_dim: int, num_classes: int) -> Generator:
    return Generator(z_dim, num_classes)


def networks(z_dim: int = 80, num_classes: int = 10, g_ch: int = 96, d_ch: int = 96, shared_dim: int = 128):
    """G and D at other widths (the reference fixture's width-reduced pair); BIGGAN32 is g_ch = d_ch = 96."""

    D = Critic(Body(d_ch), 2 * d_ch, num_classes=num_classes, head_init=_ortho_sn, embed_init=_ortho_sn)
    return Generator(z_dim, num_classes, ch=g_ch, shared_dim=shared_dim), D


BIGGAN32 = Architecture(
    "biggan32",
    _generator,
    lambda: (Body(96), 192),
    (3, 32, 32),
    head_init=_ortho_sn,
    conditional=True,
    embed_init=_ortho_sn,
    reference="PyTorch-StudioGAN@947b35e src/models/big_resnet.py (Generator, Discriminator) as "
    "src/configs/CIFAR10/BigGAN.yaml builds them",
)
