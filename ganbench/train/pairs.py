"""Image-to-image training data. Paired (pix2pix, the context encoder, SRGAN): a .npz holding `inputs`
and `targets`, the same count (`ganbench data colorize` writes one), the inputs `scale` times smaller for
super-resolution, and a `mask` for inpainting pairs. Unpaired (CycleGAN): a .npz holding `a` and `b`, two
image sets of any counts (`ganbench data unpaired` writes one)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..errors import GanbenchError
from .dataset import TrainData


def resize_images(images: np.ndarray, size: Tuple[int, int], where: str) -> np.ndarray:
    from PIL import Image

    h, w = size
    return np.stack([np.asarray(Image.fromarray(im).resize((w, h), Image.Resampling.BICUBIC)) for im in images])


def open_pairs(data: str, shape: Tuple[int, ...], *, resize: bool = False, scale: int = 1) -> TrainData:
    """Paired data for an image-to-image model making images of `shape`: a .npz with `inputs` and
    `targets` arrays (N, H, W, 3) uint8 of one count; the inputs `scale` times smaller than the targets
    (super-resolution; 1: one size)."""
    from ..inputs.arrays import _npz_keys
    from ..inputs.images import open_source

    path = Path(str(data)).expanduser()
    if path.suffix.lower() != ".npz" or not path.is_file():
        raise GanbenchError(
            f"--data {data}: an image-to-image model trains on a .npz with `inputs` and `targets` "
            "arrays; write one with `ganbench data colorize --source IMAGES -o pairs.npz`"
        )
    arrays: Dict[str, np.ndarray] = {}
    for name in ("inputs", "targets"):
        if name not in _npz_keys(path):
            raise GanbenchError(
                f"--data {data} has no `{name}` array (it holds {', '.join(_npz_keys(path))}): "
                "a paired data set holds `inputs` and `targets` (`ganbench data colorize`)"
            )
        src = open_source(path, key=name)
        src.check()
        arrays[name] = np.asarray(src.read(range(len(src))))  # an .npz array: one size, already an ndarray
        h, w = shape[1:]
        if name == "inputs":
            h, w = h // scale, w // scale
        if arrays[name].shape[1:3] != (h, w):
            if not resize:
                raise GanbenchError(
                    f"--data {data}: its {name} are {arrays[name].shape[1]}x{arrays[name].shape[2]} "
                    f"but the model {'takes' if name == 'inputs' else 'makes'} {h}x{w}: pass --resize, "
                    "or pick data of that size"
                )
            arrays[name] = resize_images(arrays[name], (h, w), str(data))
    x, y = arrays["inputs"], arrays["targets"]
    if len(x) != len(y) or not len(x):
        raise GanbenchError(f"--data {data}: {len(x)} inputs for {len(y)} targets; one input per target, at least one")
    mask = None
    if "mask" in _npz_keys(path):  # inpainting pairs (`ganbench data inpainting`): the hole of each input
        from ..toydata.inpainting import read_mask

        if resize:
            raise GanbenchError(
                f"--data {data}: inpainting pairs carry a mask of their own size: write them at the "
                "model's size instead of passing --resize"
            )
        mask = np.ascontiguousarray(read_mask(path, len(y), y.shape[1:3], where="--data"))
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes())
    if mask is not None:
        digest.update(mask.tobytes())
    meta = {
        "name": str(data),
        "kind": "pairs",
        "count": int(len(y)),
        "content_sha256": digest.hexdigest(),
        "resized": bool(resize),
        **({"masked": True} if mask is not None else {}),
    }
    return TrainData(
        str(data),
        "images",
        tuple(shape),
        np.ascontiguousarray(y),
        meta=meta,
        inputs=np.ascontiguousarray(x),
        masks=mask,
    )


def open_unpaired(data: str, shape: Tuple[int, ...], *, resize: bool = False) -> TrainData:
    """Unpaired data for a CycleGAN making images of `shape`: a .npz with `a` and `b` arrays (N, H, W, 3)
    uint8, any counts >= 1."""
    from ..inputs.arrays import _npz_keys
    from ..inputs.images import open_source

    path = Path(str(data)).expanduser()
    hint = "write one with `ganbench data unpaired --source IMAGES --from CLASS --to CLASS -o X.npz`"
    if path.suffix.lower() != ".npz" or not path.is_file():
        raise GanbenchError(f"--data {data}: an unpaired model trains on a .npz with `a` and `b` arrays; {hint}")
    arrays: Dict[str, np.ndarray] = {}
    h = hashlib.sha256()
    for name in ("a", "b"):
        if name not in _npz_keys(path):
            raise GanbenchError(
                f"--data {data} has no `{name}` array (it holds {', '.join(_npz_keys(path))}): an "
                f"unpaired data set holds `a` and `b`; {hint}"
            )
        src = open_source(path, key=name)
        if len(src) == 0:
            raise GanbenchError(f"--data {data}: its `{name}` holds no images; each domain needs at least one")
        src.check()
        arrays[name] = np.asarray(src.read(range(len(src))))  # an .npz array: one size, already an ndarray
        if arrays[name].shape[1:3] != tuple(shape[1:]):
            if not resize:
                raise GanbenchError(
                    f"--data {data}: its {name} are {arrays[name].shape[1]}x{arrays[name].shape[2]} but "
                    f"the model makes {shape[1]}x{shape[2]}: pass --resize, or pick data of that size"
                )
            arrays[name] = resize_images(arrays[name], (shape[1], shape[2]), str(data))
        h.update(name.encode() + np.ascontiguousarray(arrays[name]).tobytes())
    a, b = (np.ascontiguousarray(arrays[k]) for k in ("a", "b"))
    meta = {
        "name": str(data),
        "kind": "unpaired",
        "count": int(len(b)),
        "count_a": int(len(a)),
        "content_sha256": h.hexdigest(),
        "resized": bool(resize),
    }
    return TrainData(str(data), "images", tuple(shape), b, meta=meta, inputs=a)
