"""The latents and labels a generator is sampled with: standard normal latents and uniform labels from
ganbench's counter-based streams in blocks of BLOCK per (seed, block), so image i gets the same latent
whatever the batch size and whichever process draws it; and the classes asked for (`--classes`)."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import torch

from .. import streams
from ..errors import GanbenchError

BLOCK = 1000  # latents per stream draw: image i's latent is row i % BLOCK of block i // BLOCK


def latent_block(seed: int, block: int, z_dim: int) -> torch.Tensor:
    """The BLOCK standard normal latents of `block` (CPU float32)."""
    return torch.randn(BLOCK, z_dim, generator=streams.generator(seed, "sample", block))


def label_block(seed: int, block: int, num_classes: int) -> torch.Tensor:
    """The BLOCK uniformly drawn class labels of `block` (CPU int64), as training draws them."""
    return torch.randint(num_classes, (BLOCK,), generator=streams.generator(seed, "labels", block))


def parse_classes(spec, num_classes: int, where: str, flag: str = "--classes") -> Optional[Tuple[int, ...]]:
    """`classes` ("uniform", "0,3,7" or a sequence of ints) -> the classes to sample in turn, checked against
    `num_classes`; None when not asked. `where` names the model in messages, `flag` the option."""
    if spec is None:
        return None
    k = num_classes or 0
    if not k:
        raise GanbenchError(f"{flag} {spec}: {where} was trained without classes (conditional=false): leave {flag} out")
    if isinstance(spec, str) and spec.strip().lower() == "uniform":
        return tuple(range(k))
    items = [t.strip() for t in spec.split(",")] if isinstance(spec, str) else list(spec)
    try:
        classes = tuple(int(t) for t in items if t != "")
    except (TypeError, ValueError):
        raise GanbenchError(f"{flag} {spec}: pass uniform or class numbers separated by commas, e.g. 0,3,7") from None
    bad = [c for c in classes if not 0 <= c < k]
    if not classes or bad:
        raise GanbenchError(
            f"{flag} {spec}: {where} has classes 0..{k - 1}"
            + (f", not {bad[0]}" if bad else "")
            + "; pass classes in that range, or uniform"
        )
    if len(set(classes)) != len(classes):
        raise GanbenchError(f"{flag} {spec}: a class is listed twice; list each class once")
    return classes


def class_labels(classes, n: int, seed: int, num_classes: int) -> np.ndarray:
    """The n labels: `classes` in turn (sample i of class classes[i % len(classes)]), or with
    classes="random" drawn as training draws them (`label_block`)."""
    if isinstance(classes, str) and classes == "random":
        blocks = [label_block(seed, b, num_classes) for b in range((n + BLOCK - 1) // BLOCK)]
        return torch.cat(blocks)[:n].numpy()
    return np.asarray(classes, np.int64)[np.arange(n) % len(classes)]
