"""A generator as an image source: seeded latents (and labels) in, uint8 images out, no files written.

Image i of `GeneratorSource(G, n, z_dim, seed=s)` is G's output for latent i, a standard normal draw
from ganbench's counter-based streams in blocks of BLOCK per (seed, block): the same whatever batch G
runs at and whichever process makes it (under torchrun each rank makes only its shard). These are the
latents `ganbench sample` draws. G maps latents (N, z_dim) (and int64 labels (N,)) to NCHW images: uint8,
or float in [-1, 1] converted as StyleGAN2-ADA's metrics do (`to_uint8`). On CUDA the next batch is made
on a side stream while the extractor works on the current one; on CPU one after the other.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..errors import GanbenchError
from .arrays import images_hasher
from .base import ImageSource

# G's output made uint8 (conversion.py) and the seeded latents and labels (latents.py): streaming.py,
# train/sampling.py and the tests read them from here too
from .conversion import CONVERSION, as_uint8_nchw, to_uint8
from .latents import BLOCK, class_labels, label_block, latent_block, parse_classes

__all__ = [
    "BLOCK",
    "CONVERSION",
    "GeneratorSource",
    "as_uint8_nchw",
    "callable_name",
    "class_labels",
    "label_block",
    "latent_block",
    "parse_classes",
    "state_sha256",
    "to_uint8",
]


def callable_name(G) -> str:
    """A stable name for G (no memory address): module.Class for a module or object, module.function."""
    if hasattr(G, "__qualname__") and hasattr(G, "__module__"):
        return f"{G.__module__}.{G.__qualname__}"
    t = type(G)
    return f"{t.__module__}.{t.__qualname__}"


def state_sha256(G: torch.nn.Module) -> str:
    """sha256 of a module's state (names, dtypes, shapes, bytes in state_dict order): which weights made them."""
    h = hashlib.sha256()
    for name, t in G.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


class _Ready:
    def __init__(self, images: np.ndarray):
        self.images = images

    def result(self) -> np.ndarray:
        return self.images


class _Copying:
    """Images on their way to pinned host memory on the side stream."""

    def __init__(self, host: torch.Tensor, event):
        self.host, self.event = host, event

    def result(self) -> np.ndarray:
        self.event.synchronize()
        return self.host.numpy()


class GeneratorSource(ImageSource):
    """n images of G, made when read: see the module's docstring.

    classes: None (G(z)), "uniform", a list of class ids (sample i of class classes[i % len]) or "random"
    (drawn as training draws them); then G(z, y) is called and `labels` holds the n labels. num_classes:
    the number of classes G knows (default: G.num_classes), needed with classes. batch_size: images per call
    of G on a fixed grid (0, b, 2b, ...), whatever the reads ask; None runs G on exactly each read's images.
    keep: the first `keep` images made are kept for `first`.
    """

    kind = "generator"
    cacheable = False  # the feature cache keys on content, which is known only once every image is made

    def __init__(
        self,
        G,
        n: int,
        z_dim: Optional[int] = None,
        *,
        seed: int = 0,
        classes=None,
        num_classes: Optional[int] = None,
        batch_size: Optional[int] = None,
        device=None,
        keep: int = 0,
    ):
        super().__init__(None)
        if not callable(G):
            raise GanbenchError(
                f"the generator is a {type(G).__name__}, not a torch.nn.Module or callable: pass G "
                f"itself, a function from latents to images"
            )
        self.G, self.name = G, callable_name(G)
        self.shown = f"generator {self.name}"
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise GanbenchError(f"n={n!r}: pass a positive number of samples")
        self.n, self.seed = int(n), int(seed)
        z_dim = getattr(G, "z_dim", None) if z_dim is None else z_dim
        if isinstance(z_dim, bool) or not isinstance(z_dim, (int, np.integer)) or z_dim < 1:
            raise GanbenchError(f"z_dim={z_dim!r}: pass z_dim=, the length of G's latent vectors")
        self.z_dim = int(z_dim)
        if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
            raise GanbenchError(f"batch_size={batch_size!r}: pass a positive number of images per call of G")
        self.batch_size = None if batch_size is None else int(batch_size)
        self.num_classes = num_classes if num_classes is not None else getattr(G, "num_classes", None)
        self.classes = classes
        self.labels = None
        if classes is not None:
            if not self.num_classes:
                raise GanbenchError(f"classes={classes!r}: pass num_classes=, the number of classes G was trained on")
            if not (isinstance(classes, str) and classes == "random"):
                self.classes = parse_classes(classes, self.num_classes, self.shown, "classes=")
            self.labels = class_labels(self.classes, self.n, self.seed, self.num_classes)
        self.device = _device_of(G, device)
        self.pipelined = self.device.type == "cuda"  # CPU: each batch made when read, nothing ahead
        self._stream = torch.cuda.Stream(self.device) if self.pipelined else None
        self._pending: Dict[Tuple[int, int], Any] = {}  # (lo, hi) -> _Ready / _Copying: asked of G, not yet read
        self._last: Optional[Tuple[int, int, np.ndarray]] = None  # the batch read last (a read may end inside it)
        self._block: Optional[Tuple[int, torch.Tensor]] = None  # (block, latents)
        self._hw: Optional[Tuple[int, int]] = None
        self.output_dtype: Optional[str] = None
        self._largest = 0
        self._hasher: Any = None  # content hash (a hashlib object) of the images read in order from 0
        self._hashed = 0
        self._keep = int(keep)
        self._kept: List[np.ndarray] = []
        self.training_mode = bool(getattr(G, "training", False))

    def __len__(self) -> int:
        return self.n

    @property
    def shape_hint(self) -> Optional[Tuple[int, int]]:
        return self._hw

    # -- latents -> images ------------------------------------------------------------------------
    def _latents(self, lo: int, hi: int) -> torch.Tensor:
        parts = []
        for b in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
            if self._block is None or self._block[0] != b:
                self._block = (b, latent_block(self.seed, b, self.z_dim))
            parts.append(self._block[1][max(lo, b * BLOCK) - b * BLOCK : min(hi, (b + 1) * BLOCK) - b * BLOCK])
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    @torch.no_grad()
    def _make(self, lo: int, hi: int) -> torch.Tensor:
        """Images lo..hi-1 as (B,H,W,3) uint8 on G's device."""
        if self.output_dtype is None and self.training_mode:  # warned while the engine collects warnings
            warnings.warn(
                f"{self.shown} is in training mode (batch norm uses batch statistics, dropout is on): call "
                f"G.eval() before scoring it",
                stacklevel=2,
            )
        z = self._latents(lo, hi).to(self.device)
        if self.labels is None:
            x = self.G(z)
        else:
            x = self.G(z, torch.from_numpy(self.labels[lo:hi]).to(self.device))
        dtype = str(getattr(x, "dtype", type(x).__name__)).replace("torch.", "")
        floats = (
            isinstance(x, torch.Tensor)
            and x.is_floating_point()
            or isinstance(x, np.ndarray)
            and np.issubdtype(x.dtype, np.floating)
        )
        if self.output_dtype is None and floats and np.prod(x.shape) > 0:
            lo_v, hi_v = float(x.min()), float(x.max())  # once: floats in [0, 1] are a common slip
            if lo_v >= 0 and hi_v <= 1:
                warnings.warn(
                    f"{self.shown} gave float images in [{lo_v:.3g}, {hi_v:.3g}]: floats are read as [-1, 1] "
                    f"(x * 127.5 + 128); give x * 2 - 1 for images in [0, 1], or uint8",
                    stacklevel=2,
                )
        x = as_uint8_nchw(x, hi - lo, self.shown).permute(0, 2, 3, 1).contiguous()
        hw = (int(x.shape[1]), int(x.shape[2]))
        if self._hw is not None and hw != self._hw:
            raise GanbenchError(
                f"{self.shown} gave {hw[0]}x{hw[1]} images after {self._hw[0]}x{self._hw[1]} ones: "
                f"give images of one size"
            )
        self._hw, self.output_dtype = hw, self.output_dtype or dtype
        self._largest = max(self._largest, hi - lo)
        return x

    def _launch(self, lo: int, hi: int):
        if self._stream is None:
            return _Ready(self._make(lo, hi).cpu().numpy())
        # G's weights may have just been written on the current stream (a training step)
        self._stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(self._stream):
            x = self._make(lo, hi)
            host = torch.empty(x.shape, dtype=torch.uint8, pin_memory=True)
            host.copy_(x, non_blocking=True)
            event = torch.cuda.Event()
            event.record(self._stream)
        return _Copying(host, event)

    def _want(self, lo: int, hi: int) -> None:
        if (lo, hi) not in self._pending and (self._last is None or self._last[:2] != (lo, hi)):
            self._pending[(lo, hi)] = self._launch(lo, hi)

    def _get(self, lo: int, hi: int) -> np.ndarray:
        if self._last is None or self._last[:2] != (lo, hi):
            self._last = (lo, hi, self._pending.pop((lo, hi)).result())
        return self._last[2]

    def _range(self, a: int, b: int) -> np.ndarray:
        step = self.batch_size or (b - a)
        origin = 0 if self.batch_size else a
        starts = range(origin + (a - origin) // step * step, b, step)
        chunks = [(lo, min(self.n, lo + step)) for lo in starts]
        for c in chunks:
            self._want(*c)
        nxt = (chunks[-1][1], min(self.n, chunks[-1][1] + step))
        if self.pipelined and nxt[0] < nxt[1]:
            self._want(*nxt)  # made on the side stream while the caller extracts this read's images
        parts = [self._get(lo, hi)[max(a, lo) - lo : min(b, hi) - lo] for lo, hi in chunks]
        for c in [c for c in self._pending if c != nxt]:  # a guess the reads did not follow
            self._pending.pop(c).result()
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    # -- ImageSource --------------------------------------------------------------------------------
    def read(self, indices: Sequence[int]) -> np.ndarray:
        idx = np.asarray(list(indices), dtype=np.int64).reshape(-1)
        if idx.size == 0:
            return np.zeros((0, *(self._hw or (0, 0)), 3), np.uint8)
        if idx.min() < 0 or idx.max() >= self.n:
            raise IndexError(f"image index out of range 0..{self.n - 1}")
        a, b = int(idx[0]), int(idx[-1]) + 1
        if b - a != idx.size or (idx.size > 1 and not (np.diff(idx) == 1).all()):
            return np.stack([self.read([int(i)])[0] for i in idx])  # not a run of consecutive images
        images = self._range(a, b)
        if a == self._hashed:
            if self._hasher is None:
                assert self._hw is not None  # set by the batch just made
                self._hasher = images_hasher(self.n, *self._hw)
            self._hasher.update(images.tobytes())
            self._hashed = b
        held = sum(len(k) for k in self._kept)
        if a == held < self._keep:
            self._kept.append(images[: self._keep - held])
        return images

    def decode(self, index: int):
        return self.read([index])[0], ()

    def first(self, m: int) -> np.ndarray:
        """The first m images: those kept (`keep`), the rest made again."""
        held = np.concatenate(self._kept) if self._kept else np.zeros((0, *(self._hw or (0, 0)), 3), np.uint8)
        if len(held) >= m:
            return held[:m]
        return np.concatenate([held, self.read(range(len(held), m))])

    def content_hash(self) -> Optional[str]:
        """The sha256 an array of the same images gets (ArraySource), once every image was read in order
        by this process; None before that, or under torchrun (each rank reads its shard)."""
        return self._hasher.hexdigest() if self._hashed == self.n and self._hasher is not None else None

    def describe(self) -> dict:
        d = super().describe()
        g: Dict[str, Any] = {
            "source": self.name,
            "type": "torch.nn.Module" if isinstance(self.G, torch.nn.Module) else "callable",
            "n": self.n,
            "seed": self.seed,
            "z_dim": self.z_dim,
            "latents": f"standard normal, counter-based streams (seed, 'sample', block of {BLOCK})",
            "batch_size": self.batch_size or self._largest,  # images per call of G (the largest made)
            "output_dtype": self.output_dtype,
            "conversion": CONVERSION,
        }
        if isinstance(self.G, torch.nn.Module):
            g.update(state_sha256=state_sha256(self.G), training_mode=self.training_mode)
        if self.labels is not None:
            g.update(
                classes=self.classes if isinstance(self.classes, str) else list(self.classes),
                num_classes=self.num_classes,
            )
        return {**d, "generator": g}


def _device_of(G, device) -> torch.device:
    """Where G's latents go: the device of its parameters (or buffers), else `device` (default: CUDA when present)."""
    if isinstance(G, torch.nn.Module):
        t = next(itertools.chain(G.parameters(), G.buffers()), None)
        if t is not None:
            return t.device
    from ..device import pick_device

    return pick_device(device)
