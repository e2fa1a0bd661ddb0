"""Inpainting pairs (`ganbench data inpainting`), the scaled setting of Pathak et al. 2016 (Context
Encoders), as pathak22/context-encoder@68abd11 train.lua sets it up:

- region: the square G predicts. centre: the central half of the image (64x64 of 128x128 there: the
  rows and columns 1 + fineSize/4 .. fineSize/2 + fineSize/4, Lua 1-based), 16x16 of 32x32 here.
  random: a seeded rectangle per image, each side uniform in [size/4, size/2], anywhere in the image
  (the reference's train_random.lua masks random blob patterns instead; rectangles are ours).
- hole: the region less an `overlap` border (overlapPred 4 at 128 in the README's centre command,
  1 at 32): the pixels filled in the input, the `mask` stored beside inputs and targets, and the
  pixels the masked evaluation scores. The border stays context in the input but G predicts it too,
  with 10x the L2 weight (objectives/paired.py, recon=l2-masked).
- fill: every hole pixel set to (117, 104, 123), the reference's 2*117/255 - 1, 2*104/255 - 1,
  2*123/255 - 1 in [-1, 1] (ImageNet's mean colour), exactly that in ganbench's x / 127.5 - 1.

Floors (`ganbench data inpainting-floor`): "identity" outputs the holed input as it is; "mean" fills
the hole with a set's mean colour (the training targets', rounded to uint8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import GanbenchError
from .paired import save_npz

FILL = np.array([117, 104, 123], dtype=np.uint8)  # train.lua: 2*117/255-1, 2*104/255-1, 2*123/255-1
HOLES = ("centre", "random")


def regions(n: int, size: int, holes: str = "centre", seed: int = 0) -> np.ndarray:
    """(n, 4) int rows (top, left, height, width) of the predicted region of each image."""
    if holes == "centre":
        return np.tile([size // 4, size // 4, size // 2, size // 2], (n, 1))
    if holes != "random":
        raise GanbenchError(f"--holes {holes}: expected one of {', '.join(HOLES)}")
    rng = np.random.default_rng([seed, 27])
    lo, hi = max(1, size // 4), size // 2
    hw = rng.integers(lo, hi + 1, size=(n, 2))
    tl = (rng.random((n, 2)) * (size - hw + 1)).astype(np.int64)
    return np.concatenate([tl, hw], 1)


def masks(boxes: np.ndarray, size: int, overlap: int) -> np.ndarray:
    """(n, size, size) bool: each region less its `overlap` border (the filled hole)."""
    out = np.zeros((len(boxes), size, size), dtype=bool)
    for m, (t, left, h, w) in zip(out, boxes):
        if h <= 2 * overlap or w <= 2 * overlap:
            raise GanbenchError(f"--overlap {overlap} leaves no hole in a {h}x{w} region: pass a smaller overlap")
        m[t + overlap : t + h - overlap, left + overlap : left + w - overlap] = True
    return out


def make_inpainting(images: np.ndarray, holes: str = "centre", overlap: int = 1, seed: int = 0):
    """(inputs, targets, mask) of RGB uint8 square `images`: the input is the image with the hole filled."""
    images = np.ascontiguousarray(images)
    n, h, w = images.shape[:3]
    if h != w or images.shape[3] != 3:
        raise GanbenchError(
            f"inpainting takes square RGB images; these are {h}x{w}x{images.shape[3]}: crop or resize them to a square"
        )
    if overlap < 0:
        raise GanbenchError(f"--overlap {overlap}: the overlap border is 0 or more pixels")
    mask = masks(regions(n, h, holes, seed), h, overlap)
    return fill(images, mask, FILL), images, mask


def fill(images: np.ndarray, mask: np.ndarray, colour) -> np.ndarray:
    out = np.array(images, dtype=np.uint8, copy=True)
    out[mask] = np.asarray(colour, dtype=np.uint8)
    return out


def mean_colour(images: np.ndarray) -> np.ndarray:
    """The mean RGB colour of a set of uint8 images, rounded to uint8 (half to even)."""
    return np.rint(images.reshape(-1, 3).astype(np.float64).mean(0)).astype(np.uint8)


def floor(inputs: np.ndarray, mask: np.ndarray, kind: str, train_targets=None) -> np.ndarray:
    """identity: the holed inputs as they are; mean: the hole filled with the training targets' mean colour."""
    if kind == "identity":
        return np.array(inputs, copy=True)
    if kind != "mean":
        raise GanbenchError(f"--fill {kind}: expected identity or mean")
    if train_targets is None:
        raise GanbenchError("--fill mean needs the training targets' mean colour: add --train TRAIN_PAIRS.npz")
    return fill(inputs, mask, mean_colour(train_targets))


def save_inpainting(path, inputs, targets, mask) -> Path:
    return save_npz(
        path, "an inpainting data set is a .npz file (inputs, targets, mask)", inputs=inputs, targets=targets, mask=mask
    )


def save_outputs(path, outputs: np.ndarray) -> Path:
    """Outputs as `ganbench sample --input` writes a .npz: `arr_0`, in the pairs' order."""
    return save_npz(path, "floor outputs go to a .npz file (arr_0)", outputs)


def read_mask(source, n: int, size, where: str = "--mask") -> np.ndarray:
    """(n, H, W) bool hole mask from an array, a .npy, or the `mask` array of a .npz; checked against
    the count and size of the images it masks."""
    from ..inputs.arrays import _npz_keys

    if isinstance(source, np.ndarray):
        m = source
    else:
        p = Path(str(source)).expanduser()
        if not p.is_file():
            raise GanbenchError(
                f"{where} {source}: no such file: pass the .npz of `ganbench data inpainting` "
                "(its `mask`) or a .npy of (N, H, W) booleans"
            )
        if p.suffix.lower() == ".npz":
            keys = _npz_keys(p)
            if "mask" not in keys:
                raise GanbenchError(
                    f"{where} {source} has no `mask` array (it holds {', '.join(keys)}): pass the .npz "
                    "written by `ganbench data inpainting`"
                )
            with np.load(p, allow_pickle=False) as z:
                m = z["mask"]
        else:
            try:
                m = np.load(p, allow_pickle=False)
            except (ValueError, OSError) as e:
                raise GanbenchError(
                    f"{where} {source}: not a readable .npy mask ({e}): pass (N, H, W) booleans"
                ) from None
    m = np.asarray(m)
    if m.ndim == 4 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.ndim != 3 or len(m) != n or tuple(m.shape[1:]) != tuple(size):
        raise GanbenchError(
            f"{where} {source if not isinstance(source, np.ndarray) else 'array'} has shape "
            f"{tuple(m.shape)} but the images are {n} of {size[0]}x{size[1]}: "
            f"the mask needs shape ({n}, {size[0]}, {size[1]}), one per image"
        )
    if m.dtype != bool:
        if not np.isin(m, (0, 1)).all():
            raise GanbenchError(f"{where}: the mask holds values other than 0 and 1: pass booleans (True in the hole)")
        m = m.astype(bool)
    if not m.reshape(n, -1).any(1).all():
        bad = int(np.flatnonzero(~m.reshape(n, -1).any(1))[0])
        raise GanbenchError(f"{where}: image {bad}'s mask is empty: every image needs a hole to score")
    return m


def read_arrays(path, names, where: str) -> list:
    """The arrays `names` of the .npz `path` that `ganbench data inpainting` wrote (`where`: its flag)."""
    from ..inputs.arrays import _npz_keys

    p = Path(str(path)).expanduser()
    if p.suffix.lower() != ".npz" or not p.is_file():
        raise GanbenchError(f"{where} {path}: expected the .npz of `ganbench data inpainting` (inputs, targets, mask)")
    keys = _npz_keys(p)
    missing = [k for k in names if k not in keys]
    if missing:
        raise GanbenchError(
            f"{where} {path} has no `{missing[0]}` array (it holds {', '.join(keys)}): pass the .npz "
            "written by `ganbench data inpainting`"
        )
    with np.load(p, allow_pickle=False) as z:
        return [z[k] for k in names]


def floor_of_files(source, kind: str, train=None) -> np.ndarray:
    """The `kind` floor's outputs (see `floor`) of the pairs .npz `source`; "mean" fills with the mean colour
    of the `targets` of the pairs .npz `train`."""
    inputs, mask = read_arrays(source, ("inputs", "mask"), "--source")
    mask = read_mask(mask, len(inputs), inputs.shape[1:3], where=f"--source {source}:")
    targets = read_arrays(train, ("targets",), "--train")[0] if (train is not None and kind == "mean") else None
    return floor(inputs, mask, kind, targets)
