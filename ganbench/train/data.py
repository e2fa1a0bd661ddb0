"""Training data: a registered set (`cifar10`, `cifar10-test`), an offline benchmark (`ring`, `grid`,
`stacked-digits`: drawn fresh for every batch, as their papers do) or any image folder / .npz / .npy.

`TrainData.batch(seed, index, n)` is the global batch of D iteration `index`, a pure function of its
arguments: images come in epochs of seeded permutations, benchmark points from seeded draws.

Paired data (an image-to-image architecture, e.g. pix2pix): a .npz holding `inputs` and `targets`, the
same count and size (`ganbench data colorize` writes one); `images` are the targets and `inputs` the
inputs, and `pairs(seed, index, n)` gives both at the same indices.

Unpaired data (CycleGAN): a .npz holding `a` and `b`, two image sets of any counts (`ganbench data
unpaired` writes one); `inputs` are A, `images` B, and `unpaired(seed, index, n)` draws each from its own
seeded epochs, independently of the other."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from .. import toydata
from ..errors import GanbenchError
from . import realflip, streams

OFFLINE = ("ring", "grid", "stacked-digits", "swissroll")


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

    def _order(self, seed: int, epoch: int) -> np.ndarray:
        if self._perm[0] != epoch:
            self._perm = (epoch, streams.numpy_rng(seed, "data", epoch).permutation(len(self.images)))
        return self._perm[1]

    def indices(self, seed: int, index: int, n: int) -> np.ndarray:
        return _epochs(lambda epoch: self._order(seed, epoch), len(self.images), index, n)

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
        x = torch.from_numpy(self.inputs[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        y = torch.from_numpy(self.images[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return x, y

    def unpaired(self, seed: int, index: int, n: int):
        """(a, b) float32 in [-1, 1] of the global batch `index`: A (`inputs`) and B (`images`) each in
        epochs of its own seeded permutations, so the two draws are independent (as the reference's
        unaligned loader, which walks A in order and picks B at random)."""
        out = []
        for purpose, arr in (("data_a", self.inputs), ("data_b", self.images)):
            idx = _epochs(lambda e: streams.numpy_rng(seed, purpose, e).permutation(len(arr)), len(arr), index, n)
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
    start, out = index * n, []
    while len(out) < n:
        epoch, pos = divmod(start + len(out), N)
        take = min(n - len(out), N - pos)
        out.extend(order(epoch)[pos : pos + take])
    return np.asarray(out)


def _resize(images: np.ndarray, size: Tuple[int, int], where: str) -> np.ndarray:
    from PIL import Image

    h, w = size
    return np.stack([np.asarray(Image.fromarray(im).resize((w, h), Image.BICUBIC)) for im in images])


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
    arrays = {}
    for name in ("inputs", "targets"):
        if name not in _npz_keys(path):
            raise GanbenchError(
                f"--data {data} has no `{name}` array (it holds {', '.join(_npz_keys(path))}): "
                "a paired data set holds `inputs` and `targets` (`ganbench data colorize`)"
            )
        src = open_source(path, key=name)
        src.check()
        arrays[name] = src.read(range(len(src)))
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
            arrays[name] = _resize(arrays[name], (h, w), str(data))
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
    h = hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes())
    if mask is not None:
        h.update(mask.tobytes())
    meta = {
        "name": str(data),
        "kind": "pairs",
        "count": int(len(y)),
        "content_sha256": h.hexdigest(),
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
    arrays, h = {}, hashlib.sha256()
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
        arrays[name] = src.read(range(len(src)))
        if arrays[name].shape[1:3] != tuple(shape[1:]):
            if not resize:
                raise GanbenchError(
                    f"--data {data}: its {name} are {arrays[name].shape[1]}x{arrays[name].shape[2]} but "
                    f"the model makes {shape[1]}x{shape[2]}: pass --resize, or pick data of that size"
                )
            arrays[name] = _resize(arrays[name], tuple(shape[1:]), str(data))
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
            raise GanbenchError("--labels / --key do not apply to paired data: it holds `inputs` and `targets`")
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
        images = _resize(images, (h, w), where)
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
