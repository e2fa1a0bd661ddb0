"""Paired image-to-image data sets from real images (`ganbench data colorize|edges`): a .npz holding `inputs`
and `targets`, (N, H, W, 3) uint8 each, input i the source of target i.

colorize: input = the image's luma, ITU-R BT.601 Y = 0.299 R + 0.587 G + 0.114 B rounded to the nearest
integer (half to even), replicated to 3 channels so that inputs, targets and outputs are all RGB images
(every reader, metric and the "greyscale floor" of a colourisation table take them as they are); target =
the colour image. Pix2Pix's networks then have 3 input and 3 output channels, its default.

edges: input = the Canny edge map of that luma (toydata/edges.py: black edges on white, 3 channels, as pix2pix's
edges2shoes shows its HED edges); target = the colour image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..cache import atomic_path
from ..errors import GanbenchError

TASKS = ("colorize", "edges")
LUMA = np.array([0.299, 0.587, 0.114])


def greyscale(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> its BT.601 luma, replicated to (N, H, W, 3) uint8."""
    y = np.rint(images.astype(np.float64) @ LUMA).clip(0, 255).astype(np.uint8)
    return np.repeat(y[..., None], 3, axis=-1)


def make_pairs(task: str, images: np.ndarray, sigma: float | None = None):
    """(inputs, targets) of `task` for RGB uint8 `images`; `sigma`: edges' Gaussian (default edges.SIGMA)."""
    if task not in TASKS:
        raise GanbenchError(f"unknown paired task {task!r}: known tasks are {', '.join(TASKS)}")
    images = np.ascontiguousarray(images)
    if task == "edges":
        from . import edges

        return edges.edge_maps(greyscale(images)[..., 0], edges.SIGMA if sigma is None else sigma), images
    return greyscale(images), images


def save_pairs(path, inputs: np.ndarray, targets: np.ndarray) -> Path:
    return save_npz(path, "a paired data set is a .npz file (inputs and targets)", inputs=inputs, targets=targets)


def save_npz(path, what: str, *arrays, **named) -> Path:
    """`arrays` (arr_0, ...) and `named` into the .npz `path`, atomically; anything but a .npz file name is the
    one-line error "-o PATH: {what}: end the name in .npz"."""
    path = Path(path)
    if path.suffix.lower() != ".npz" or path.is_dir():
        raise GanbenchError(f"-o {path}: {what}: end the name in .npz")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, *arrays, **named)
    return path


def read_images(source, key=None, n=None) -> np.ndarray:
    """The first `n` (default all) images of `source` (a folder, .npz or .npy; `key` picks the array of a
    multi-array .npz) as one (N, H, W, 3) uint8 array, every image checked first."""
    from ..inputs.images import open_source

    src = open_source(source, key=key)
    src.check()
    count = len(src) if n is None else min(n, len(src))
    if count < 1:
        raise GanbenchError(f"--source {source} holds no images (or -n {n}): pass images and -n >= 1")
    images = src.read(range(count))
    if isinstance(images, list):
        raise GanbenchError(f"--source {source} holds images of mixed sizes: make them one size")
    return images
