"""A training set in memory and its batches. `TrainData.batch(seed, index, n)` is the global batch of D
iteration `index`, a pure function of its arguments: images come in epochs of seeded permutations,
benchmark points from seeded draws.

Paired data (an image-to-image architecture, e.g. pix2pix): `images` are the targets and `inputs` the
inputs, and `pairs(seed, index, n)` gives both at the same indices. Unpaired data (CycleGAN): `inputs`
are A, `images` B, and `unpaired(seed, index, n)` draws each from its own seeded epochs, independently
of the other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np
import torch

from .. import toydata
from ..errors import GanbenchError
from . import realflip, streams


@dataclass
class TrainData:
    name: str
    kind: str  # "points" | "images"
    shape: Tuple[int, ...]  # one sample, (2,) or (C, H, W)
    images: Optional[np.ndarray] = None  # (N, H, W, 3) uint8 for finite image sets
    labels: Optional[np.ndarray] = None
    num_classes: int = 0
    meta: dict = field(default_factory=dict)
    inputs: Optional[np.ndarray] = None  # paired data: (N, H, W, 3) uint8 inputs of `images`, the targets
    masks: Optional[np.ndarray] = None  # inpainting pairs: (N, H, W) bool, True in each input's filled hole
    hflip: bool = False  # flip each real image left-right with p 0.5 (realflip.py; --set hflip=true)
    _perm: tuple = (None, None)

    @property
    def count(self) -> Optional[int]:
        return None if self.images is None else len(self.images)

    def _count(self) -> int:
        assert self.images is not None  # the batches of image data sets (points are drawn, not indexed)
        return len(self.images)

    def _order(self, seed: int, epoch: int) -> np.ndarray:
        if self._perm[0] != epoch:
            self._perm = (epoch, streams.numpy_rng(seed, "data", epoch).permutation(self._count()))
        return self._perm[1]

    def indices(self, seed: int, index: int, n: int) -> np.ndarray:
        return _epochs(lambda epoch: self._order(seed, epoch), self._count(), index, n)

    def batch(self, seed: int, index: int, n: int):
        """(x float32 in the model's range, y int64 or None) of the global batch `index`."""
        if self.images is None:
            s = streams.seed_of(seed, "data", index)
            x, y = toydata.make(self.name, n=n, seed=s)
            x = torch.from_numpy(np.asarray(x, dtype=np.float32))
            if self.kind == "images":
                x = x.permute(0, 3, 1, 2) / 127.5 - 1.0
            return x, torch.from_numpy(np.asarray(y, dtype=np.int64))
        idx = self.indices(seed, index, n)
        x = torch.from_numpy(self.images[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        y = None if self.labels is None else torch.from_numpy(self.labels[idx].astype(np.int64))
        return (realflip.flip_half(x, seed, index) if self.hflip else x), y

    def pairs(self, seed: int, index: int, n: int):
        """(inputs, targets) float32 in [-1, 1] of the global batch `index`, the same indices for both."""
        if self.inputs is None:
            raise GanbenchError(
                f"--data {self.name} holds no inputs: an image-to-image model trains on a .npz with "
                "`inputs` and `targets` arrays (`ganbench data colorize`)"
            )
        if self.meta.get("kind") == "unpaired":
            raise GanbenchError(
                f"--data {self.name} holds unpaired sets `a` and `b`: a paired model trains on `inputs` "
                "and `targets` (`ganbench data colorize`)"
            )
        idx = self.indices(seed, index, n)
        assert self.images is not None
        x = torch.from_numpy(self.inputs[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        y = torch.from_numpy(self.images[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return x, y

    def unpaired(self, seed: int, index: int, n: int):
        """(a, b) float32 in [-1, 1] of the global batch `index`: A (`inputs`) and B (`images`) each in
        epochs of its own seeded permutations, so the two draws are independent (as the reference's
        unaligned loader, which walks A in order and picks B at random)."""
        out = []
        for purpose, arr in (("data_a", self.inputs), ("data_b", self.images)):
            assert arr is not None  # an unpaired set has both
            idx = _epochs(lambda e: streams.numpy_rng(seed, purpose, e).permutation(len(arr)), len(arr), index, n)  # noqa: B023 - called within this iteration
            out.append(torch.from_numpy(arr[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0)
        return tuple(out)

    def holes(self, seed: int, index: int, n: int) -> torch.Tensor:
        """(n, 1, H, W) float32 hole masks (1 in the hole) of the global batch `index`, as `pairs` gives it."""
        if self.masks is None:
            raise GanbenchError(
                f"--data {self.name} holds no `mask`: recon=l2-masked (the context encoder) trains on "
                "inpainting pairs (`ganbench data inpainting --source IMAGES -o pairs.npz`)"
            )
        return torch.from_numpy(self.masks[self.indices(seed, index, n)]).float()[:, None]

    def reference_images(self, n: int, seed: int = 0) -> np.ndarray:
        """Real images for eval-every's reference: the set itself (at most `n`), or fresh draws."""
        if self.images is not None:
            return (
                self.images
                if len(self.images) <= n
                else self.images[np.sort(streams.numpy_rng(seed, "eval", 0).choice(len(self.images), n, replace=False))]
            )
        return np.asarray(toydata.make(self.name, n=n, seed=streams.seed_of(seed, "eval", 1))[0])


def _epochs(order, N: int, index: int, n: int) -> np.ndarray:
    """Indices of batch `index` of size `n` walking epochs of `order(epoch)` (a permutation of N)."""
    start = index * n
    out: List[int] = []
    while len(out) < n:
        epoch, pos = divmod(start + len(out), N)
        take = min(n - len(out), N - pos)
        out.extend(order(epoch)[pos : pos + take])
    return np.asarray(out)
