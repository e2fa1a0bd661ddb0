"""Training data: a registered set (`cifar10`, `cifar10-test`), an offline benchmark (`ring`, `grid`,
`stacked-digits`: drawn fresh for every batch, as their papers do) or any image folder / .npz / .npy,
opened as a `TrainData` (dataset.py: its seeded batches); paired and unpaired image-to-image data are
opened by pairs.py."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Tuple

import numpy as np

from .. import toydata
from ..errors import GanbenchError
from .dataset import TrainData
from .pairs import open_pairs, open_unpaired, resize_images

if TYPE_CHECKING:
    from ..inputs.base import ImageSource

__all__ = ["OFFLINE", "TrainData", "open_data", "open_pairs", "open_unpaired"]

OFFLINE = ("ring", "grid", "stacked-digits", "swissroll")


def _labels(labels, data: str, src, where: str) -> np.ndarray:
    """--labels FILE, or --labels NAME: the array NAME of the --data .npz (e.g. train_labels)."""
    from ..inputs.arrays import _map_npz_member, _npz_keys
    from ..inputs.labels import load_labels

    if isinstance(labels, (str, Path)) and not Path(labels).expanduser().exists() and src.kind == "npz":
        keys = _npz_keys(Path(src.path))
        if str(labels) not in keys:
            raise GanbenchError(
                f"--labels {labels}: no such file, and {data} has no array of that name (it holds "
                f"{', '.join(keys)}); pass a labels file or one of those names"
            )
        return load_labels(np.asarray(_map_npz_member(Path(src.path), str(labels))))
    return load_labels(labels)


def open_data(
    data: str,
    shape: Tuple[int, ...],
    *,
    resize: bool = False,
    labels=None,
    key=None,
    want_labels: bool = False,
    paired: bool = False,
    scale: int = 1,
    unpaired: bool = False,
) -> TrainData:
    """`data` for a model making samples of `shape`; a mismatch is an error naming the fix. `key` picks
    the images of a multi-array .npz; `labels` is a file, an array, or the name of an array of that .npz.
    `paired`: an image-to-image model's (inputs, targets) data (`open_pairs`)."""
    from ..inputs import references
    from ..inputs.images import open_source

    if unpaired and not data:
        raise GanbenchError(
            "no training data: pass --data X.npz, a .npz of unpaired `a` and `b` images (write one with "
            "`ganbench data unpaired --source IMAGES --from CLASS --to CLASS -o X.npz`)"
        )
    if paired and not data:
        raise GanbenchError(
            "no training data: pass --data PAIRS.npz, a .npz of `inputs` and `targets` (write one with "
            "`ganbench data colorize --source IMAGES -o pairs.npz`)"
        )
    if not data:
        raise GanbenchError("no training data: pass --data NAME|PATH (e.g. --data cifar10, --data ring)")
    if paired:
        if labels is not None or key is not None:
            holds = "unpaired `a` and `b` images" if unpaired else "`inputs` and `targets`"
            raise GanbenchError(f"--labels / --key do not apply to image-to-image data: it holds {holds}; drop them")
        if unpaired:
            return open_unpaired(data, shape, resize=resize)
        return open_pairs(data, shape, resize=resize, scale=scale)
    if data in OFFLINE:
        bench = toydata.BENCHMARKS.get(data)
        kind_shape = (2,) if bench.kind == "points" else (3, 8, 8)
        if tuple(shape) != kind_shape:
            raise GanbenchError(
                f"--data {data} gives samples of shape {kind_shape} but this architecture makes "
                f"{tuple(shape)}: pick a baseline made for it (`ganbench list baselines`)"
            )
        classes = (
            1000
            if data == "stacked-digits"
            else (len(toydata.mixtures.MIXTURES[data].centres) if data in toydata.mixtures.MIXTURES else 0)
        )
        return TrainData(
            data,
            bench.kind,
            kind_shape,
            num_classes=classes,
            meta={"name": data, "kind": "benchmark", "count": None, "fresh_draws": True},
        )
    if len(shape) != 3:
        raise GanbenchError(f"--data {data}: this architecture makes 2-D points; train it on ring or grid")
    is_path = Path(data).expanduser().exists()
    src: ImageSource
    if not is_path and data in references.REFERENCES:
        src, where = references.resolve_reference(data), f"reference {data}"
        if want_labels and labels is None:
            from ..inputs.side_labels import reference_labels

            labels = reference_labels(data)
    else:
        src, where = open_source(data, key=key), data
    if len(src) == 0:
        raise GanbenchError(f"--data {where} holds no images: pass a folder or array with images in it")
    src.check()
    images = src.read(range(len(src)))
    if isinstance(images, list):
        raise GanbenchError(
            f"--data {where} holds images of mixed sizes: pass --resize to resize them all to "
            f"{shape[1]}x{shape[2]}, or make them one size"
        )
    h, w = shape[1:]
    if images.shape[1:3] != (h, w):
        if not resize:
            raise GanbenchError(
                f"--data {where} holds {images.shape[1]}x{images.shape[2]} images but the model "
                f"makes {h}x{w}: pass --resize, or pick data of that size"
            )
        images = resize_images(images, (h, w), where)
    lab = None
    if labels is not None:
        lab = _labels(labels, data, src, where)
        if len(lab) != len(images):
            raise GanbenchError(f"labels for {where}: {len(lab)} labels for {len(images)} images; one per image")
    if want_labels and lab is None:
        raise GanbenchError(f"conditional training needs labels for {where}: pass --labels FILE")
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()
    meta = {
        "name": data,
        "kind": src.kind,
        "count": int(len(images)),
        "content_sha256": digest,
        "resized": bool(resize and tuple(src.shape_hint or ()) != (h, w)),
        "notes": src.notes,
    }
    return TrainData(
        data,
        "images",
        tuple(shape),
        np.ascontiguousarray(images),
        lab,
        int(lab.max()) + 1 if lab is not None else 0,
        meta,
    )
