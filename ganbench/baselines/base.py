"""What every architecture is made of: a generator (z -> images in [-1, 1]) and a critic that is
`body` (images -> features) + the switch layers + `head` (features -> one logit), so that minibatch
discrimination, minibatch std and a class projection plug into every architecture the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from .layers import MinibatchDiscrimination, MinibatchStd


class Critic(nn.Module):
    """body -> [minibatch std] -> [minibatch discrimination] -> head (+ projection of y, Miyato &
    Koyama 2018, when num_classes > 0)."""

    def __init__(
        self,
        body: nn.Module,
        features: int,
        *,
        head_bias: bool = True,
        mbstd_group: int = 0,
        mbdisc_kernels: int = 0,
        num_classes: int = 0,
        head_init: Optional[Callable] = None,
        embed_init: Optional[Callable] = None,
    ):
        super().__init__()
        self.body = body
        extra: List[nn.Module] = []
        if mbstd_group:
            std = MinibatchStd(features, mbstd_group)
            extra.append(std)
            features = std.out_features
        if mbdisc_kernels:
            disc = MinibatchDiscrimination(features, mbdisc_kernels)
            extra.append(disc)
            features = disc.out_features
        self.extra = nn.Sequential(*extra)
        self.head = nn.Linear(features, 1, bias=head_bias)
        if head_init is not None:
            head_init(self.head)
        self.embed = nn.Embedding(num_classes, features) if num_classes else None
        if self.embed is not None and embed_init is not None:
            embed_init(self.embed)

    def forward(self, x: torch.Tensor, y: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.extra(self.body(x))
        out = self.head(h)
        if self.embed is not None and y is not None:
            out = out + (self.embed(y) * h).sum(1, keepdim=True)
        return out


class Conditioned(nn.Module):
    """A generator made class-conditional the simplest way: a learned class embedding added to z."""

    def __init__(self, net: nn.Module, z_dim: int, num_classes: int):
        super().__init__()
        self.net, self.z_dim = net, z_dim
        self.embed = nn.Embedding(num_classes, z_dim)

    def forward(self, z: torch.Tensor, y: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.net(z if y is None else z + self.embed(y))


@dataclass(frozen=True)
class Architecture:
    """One architecture: how to build G and D, the images it makes and its reference."""

    name: str
    generator: Optional[Callable[..., nn.Module]]  # (z_dim) -> G; None: a paired/unpaired one builds `networks`
    body: Optional[Callable[[], Tuple[nn.Module, int]]]  # () -> (D body, feature count)
    shape: Tuple[int, ...]  # one sample: (C, H, W) for images, (2,) for points
    reference: str  # the implementation it equals layer for layer
    head_bias: bool = True
    head_init: Optional[Callable] = None
    notes: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)
    # natively class-conditional (cGAN-PD): `generator` is (z_dim, num_classes) -> G(z, y), D's projection
    # embedding gets `embed_init` and, with spectral_norm, spectral norm like D's other layers
    conditional: bool = False
    embed_init: Optional[Callable] = None
    # whole networks with their own conditioning and minibatch std (StyleGAN2): (z_dim, num_classes,
    # mbstd_group) -> (G(z[, y]), D(x[, y])), in place of `generator` and `body`
    networks: Optional[Callable] = None
    bounded: bool = True  # G's images lie in [-1, 1] (tanh); StyleGAN2's are linear, clamped when sampled
    # image-to-image (pix2pix): G(input image) -> output image of `shape`, D(input and output concatenated on
    # channels); trained on paired data (TrainData.inputs beside its images) by a paired objective
    paired: bool = False

    @property
    def kind(self) -> str:
        return "points" if len(self.shape) == 1 else "images"

    def build(self, z_dim: int, *, mbstd_group: int = 0, mbdisc_kernels: int = 0, num_classes: int = 0):
        if self.networks is not None:
            if mbdisc_kernels:
                from ..errors import GanbenchError

                raise GanbenchError(f"architecture {self.name} has no minibatch discrimination layer: --set mbdisc=0")
            return self.networks(z_dim, num_classes, mbstd_group)
        generator, make_body = self.generator, self.body
        assert generator is not None and make_body is not None  # an architecture without `networks` has both
        if self.conditional:
            if not num_classes:
                from ..errors import GanbenchError

                raise GanbenchError(
                    f"architecture {self.name} is class-conditional: train it with conditional=true "
                    f"and labels (--labels FILE, or a labelled data set)"
                )
            G = generator(z_dim, num_classes)
        else:
            G = generator(z_dim)
            if num_classes:
                G = Conditioned(G, z_dim, num_classes)
        body, features = make_body()
        D = Critic(
            body,
            features,
            head_bias=self.head_bias,
            mbstd_group=mbstd_group,
            mbdisc_kernels=mbdisc_kernels,
            num_classes=num_classes,
            head_init=self.head_init,
            embed_init=self.embed_init,
        )
        return G, D
