"""Unpaired image-to-image data sets (`ganbench data unpaired`): a .npz holding `a` and `b`, (N, H, W, 3)
uint8 each and of different counts, the images of one CIFAR-10 class (domain A) and of another (domain B),
picked by the labels that sit beside the images in the source .npz (`train_labels` beside
`train_images`). No image of A has a counterpart in B: CycleGAN's setting.

The suggested task is automobile -> truck: both are road vehicles photographed from similar viewpoints on
similar backgrounds, so a translation can keep the layout and change what differs (cab, load bed, size,
colour), the kind of change CycleGAN makes well; cat -> dog needs changes of shape, which the paper lists
among its failure cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import GanbenchError
from .paired import save_npz

CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def class_index(spec: str, where: str) -> int:
    """A CIFAR-10 class name or index (0-9) -> its index; anything else is a one-line error listing them."""
    text = str(spec).strip().lower()
    if text.isdigit() and int(text) < len(CIFAR10):
        return int(text)
    if text in CIFAR10:
        return CIFAR10.index(text)
    raise GanbenchError(f"{where} {spec}: not a CIFAR-10 class; give a name ({', '.join(CIFAR10)}) or an index 0-9")


def labels_key(keys, key) -> str:
    """The labels array beside the images `key` of a .npz holding `keys`: X_labels beside X_images, else `labels`."""
    if key and key.endswith("images") and key[: -len("images")] + "labels" in keys:
        return key[: -len("images")] + "labels"
    if "labels" in keys:
        return "labels"
    return ""


def split(images: np.ndarray, labels: np.ndarray, a: int, b: int):
    """(images of class a, images of class b), each in source order."""
    return np.ascontiguousarray(images[labels == a]), np.ascontiguousarray(images[labels == b])


def save_unpaired(path, a: np.ndarray, b: np.ndarray) -> Path:
    return save_npz(path, "an unpaired data set is a .npz file (a and b)", a=a, b=b)


def classes(from_, to) -> tuple:
    """(a, b) class indices of --from and --to, two different classes."""
    a, b = class_index(from_, "--from"), class_index(to, "--to")
    if a == b:
        raise GanbenchError(f"--from {from_} and --to {to} are the same class: pick two different classes")
    return a, b


def from_source(source, key, a: int, b: int):
    """(images of class a, images of class b) of the labelled .npz `source` (its images `key`, the labels
    beside them: `labels_key`)."""
    from ..inputs.arrays import _npz_keys
    from .paired import read_images

    path = Path(str(source)).expanduser()
    keys = _npz_keys(path) if path.suffix.lower() == ".npz" and path.is_file() else []
    lab = labels_key(keys, key)
    if not lab:
        pick = next((k for k in keys if k.endswith("_images") and labels_key(keys, k)), None)
        if pick and key is None:
            raise GanbenchError(
                f"--source {source} holds several arrays: pass --key {pick} (its labels are `{labels_key(keys, pick)}`)"
            )
        raise GanbenchError(
            f"--source {source} has no labels beside its images (a .npz with `labels`, or "
            "`train_labels` beside --key train_images): unpaired picks the classes by them"
        )
    images = read_images(source, key)
    with np.load(path, allow_pickle=False) as z:
        labels = np.asarray(z[lab]).reshape(-1)
    if len(labels) != len(images):
        raise GanbenchError(f"--source {source}: {len(labels)} `{lab}` for {len(images)} images; one label per image")
    xa, xb = split(images, labels, a, b)
    for cls, x, flag in ((a, xa, "--from"), (b, xb, "--to")):
        if not len(x):
            raise GanbenchError(
                f"{flag}: --source {source} has no image of class {CIFAR10[cls]} ({cls}) in "
                f"`{lab}`: pick a class it holds"
            )
    return xa, xb
