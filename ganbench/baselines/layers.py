"""Layers the training-practice switches add to any discriminator, and spectral norm applied to one.

Every discriminator here is `body` (images -> one feature vector per sample) then `head` (a linear
layer to one logit), so the switches act at the same place on every architecture: just before the
head, where Salimans et al. 2016 put minibatch discrimination.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016, sec. 3.2: T (A x B x C) maps each feature vector to B rows of length C;
    o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1) is appended to the features (B extra features)."""

    def __init__(self, in_features: int, kernels: int = 100, kernel_dim: int = 5):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)
        self.out_features = in_features + kernels

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        m = (h @ self.T).view(-1, self.kernels, self.kernel_dim)
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(3)  # (N, N, B)
        o = torch.exp(-l1).sum(0) - 1.0  # a sample's distance to itself is 0: drop its exp(0) = 1
        return torch.cat([h, o], 1)


class MinibatchStd(nn.Module):
    """Karras et al. 2018 (ProGAN), sec. 3: the standard deviation of each feature over a group of
    `group` samples, averaged to one number, appended as one extra feature. ProGAN appends it as a
    feature map before the last conv block; here it is appended before the head, where every
    architecture has a feature vector (documented difference)."""

    def __init__(self, in_features: int, group: int = 4):
        super().__init__()
        self.group = group
        self.out_features = in_features + 1

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        n = h.shape[0]
        g = min(self.group, n)
        if n % g:  # a ragged last batch: fall back to one group, as ProGAN's reference does for n < G
            g = n
        y = h.view(g, -1, h.shape[1])
        std = (y.var(0, unbiased=False) + 1e-8).sqrt().mean(1)  # (n / g,)
        return torch.cat([h, std.repeat(g).view(n, 1)], 1)


def apply_spectral_norm(module: nn.Module, embeddings: bool = False, eps: float = 1e-12) -> nn.Module:
    """Miyato et al. 2018: every Conv2d and Linear (one power iteration per forward, torch's own
    `spectral_norm`, as torch-mimicry and pytorch-gan-collections use), and with `embeddings` every
    Embedding too (the projection's class embedding of cGAN-PD, torch-mimicry's SNEmbedding). Layers
    that already have it are left alone. `eps`: the power iteration's normalisation floor (torch's
    default; StudioGAN uses 1e-6)."""
    kinds = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear) + ((nn.Embedding,) if embeddings else ())
    for m in list(module.modules()):
        if isinstance(m, kinds) and not hasattr(m, "weight_orig"):
            nn.utils.spectral_norm(m, eps=eps)
    return module


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
