"""Images held in arrays: in memory, .npy files and .npz members (memory-mapped where possible)."""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import GanbenchError
from .base import ImageSource


def images_hasher(n: int, height: int, width: int):
    """The content hash of n RGB uint8 images of one size: feed it their (B,H,W,3) bytes in order. It hashes
    the normalised pixels, so the same images hash the same whatever their layout or where they come from."""
    h = hashlib.sha256(b"ganbench-images-v1\0")
    h.update(f"{n}x{height}x{width}x3\0".encode())
    return h


class ArraySource(ImageSource):
    """Images in an array: NHWC uint8 (also NCHW, N×H×W greyscale, 4 channels), possibly memory-mapped.

    Conversions are applied per batch in `read`, so a memory-mapped array stays lazy.
    `identity`, when given, replaces hashing the pixels (registered references use their archive md5).
    """

    def __init__(
        self,
        array: np.ndarray,
        *,
        kind: str = "array",
        path: Optional[str] = None,
        where: str = "the array",
        identity: Optional[str] = None,
        extra: Optional[dict] = None,
        reopen: Optional[tuple] = None,
    ):
        layout, channels, notes = _check_layout(array.shape, array.dtype, where)
        super().__init__(path, notes)
        self.kind = kind
        self._array = array
        self._layout = layout
        self._channels = channels
        self._identity = identity
        self._extra = dict(extra or {})
        self._reopen = reopen  # how to map the file again after unpickling
        n = array.shape[0]
        h, w = array.shape[2:4] if layout == "nchw" else array.shape[1:3]
        self._n, self._hw = n, (int(h), int(w))

    def __len__(self) -> int:
        return self._n

    @property
    def shape_hint(self) -> Tuple[int, int]:
        return self._hw

    def read(self, indices: Sequence[int]) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.intp).reshape(-1)
        if idx.size and (idx.min() < -self._n or idx.max() >= self._n):
            raise IndexError(f"image index out of range 0..{self._n - 1}")
        batch = np.asarray(self._array[idx])
        if self._layout == "nhw":
            batch = batch[..., None]
        elif self._layout == "nchw":
            batch = batch.transpose(0, 2, 3, 1)
        if self._channels == 1:
            batch = np.repeat(batch, 3, axis=-1)
        elif self._channels == 4:
            batch = batch[..., :3]
        return np.ascontiguousarray(batch)

    def decode(self, index: int) -> Tuple[np.ndarray, Tuple[str, ...]]:
        return self.read([index])[0], ()

    def _compute_hash(self) -> str:
        if self._identity is not None:
            return hashlib.sha256(self._identity.encode()).hexdigest()
        h = images_hasher(self._n, *self._hw)
        step = max(1, (64 << 20) // (self._hw[0] * self._hw[1] * 3))
        for start in range(0, self._n, step):
            h.update(self.read(range(start, min(start + step, self._n))).tobytes())
        return h.hexdigest()

    def describe(self) -> dict:
        d = super().describe()
        d.update(self._extra)
        return d

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._reopen is not None:
            state["_array"] = None  # a mapped file travels as its path, not its bytes
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._array is None:
            kind, path, key = self._reopen
            self._array = _map_npy(Path(path)) if kind == "npy" else _map_npz_member(Path(path), key)


def _check_layout(shape, dtype, where: str) -> Tuple[str, int, List[str]]:
    """Work out (layout, channels, notes) for an image array, or say what is wrong with it."""
    expected = "expected N×H×W×3 uint8 images (N×3×H×W and N×H×W greyscale are also accepted)"
    if dtype != np.uint8:
        raise GanbenchError(
            f"{where} holds {dtype} values, not uint8: convert the images to uint8 in 0..255 first "
            f"(ganbench does not guess the scaling; for 0..1 floats: (x * 255).round().clip(0, 255)"
            f".astype('uint8'))"
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3 and shape[-1] in (3, 4):
        raise GanbenchError(
            f"{where} has shape {shape}, which looks like one H×W×C image: {expected}; add a leading batch axis"
        )
    if len(shape) == 3:
        layout, channels = "nhw", 1
    elif len(shape) == 4 and shape[-1] in (1, 3, 4):
        layout, channels = "nhwc", shape[-1]
    elif len(shape) == 4 and shape[1] in (1, 3):
        layout, channels = "nchw", shape[1]
    else:
        raise GanbenchError(f"{where} has shape {shape}: {expected}")
    n = shape[0]
    hw = shape[2:4] if layout == "nchw" else shape[1:3]
    if n == 0:
        raise GanbenchError(f"{where} contains no images (shape {shape}): pass at least one image")
    if min(hw) == 0:
        raise GanbenchError(f"{where} has empty images (shape {shape}): {expected}")
    notes = []
    if layout == "nchw":
        notes.append(f"channels-first array (shape {shape}) transposed to N×H×W×C")
    if channels == 1:
        notes.append(f"{n} greyscale image(s) replicated to RGB")
    if channels == 4:
        notes.append(f"{n} 4-channel image(s): 4th (alpha) channel dropped")
    return layout, channels, notes


def _map_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e) or "Python objects" in str(e):
            raise GanbenchError(
                f"{path} holds Python objects, which ganbench will not unpickle: save the images as a uint8 array"
            ) from None
        raise GanbenchError(f"cannot read {path}: {e}; re-save it with numpy.save") from None
    except (OSError, EOFError) as e:
        raise GanbenchError(f"cannot read {path}: {e}; re-save it with numpy.save") from None


def _npz_keys(path: Path) -> List[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
    except (zipfile.BadZipFile, OSError) as e:
        raise GanbenchError(f"cannot read {path}: {e}; re-save it with numpy.savez") from None


def _memmap_stored_member(path: Path, member: str) -> Optional[np.ndarray]:
    """Map an uncompressed .npz member straight from the file, or None when that is not possible."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:  # compressed or encrypted
        return None
    fmt = np.lib.format
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)  # the local file header; its name/extra lengths can differ from the directory's
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            return None
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        f.seek(start)
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            return None
        offset = f.tell()
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if fortran or dtype.hasobject or nbytes == 0 or offset - start + nbytes != info.file_size:
        return None
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def _map_npz_member(path: Path, key: str) -> np.ndarray:
    try:
        mapped = _memmap_stored_member(path, key + ".npy")
        if mapped is not None:
            return mapped
        with np.load(path, allow_pickle=False) as z:
            return z[key]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise GanbenchError(
                f"{path} (key {key!r}) holds Python objects, which ganbench will not "
                f"unpickle: save the images as a uint8 array"
            ) from None
        raise GanbenchError(f"cannot read {path} (key {key!r}): {e}; re-save it with numpy.savez") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise GanbenchError(f"cannot read {path} (key {key!r}): {e}; re-save it with numpy.savez") from None


def _open_npz(path: Path, shown: str, key: Optional[str]) -> ArraySource:
    keys = _npz_keys(path)
    if key is None:
        if "arr_0" in keys:
            key = "arr_0"
        elif len(keys) == 1:
            key = keys[0]
        else:
            listed = ", ".join(keys) if keys else "none"
            raise GanbenchError(
                f"{shown} holds arrays {listed} and none is named arr_0: save the "
                f"images alone or as arr_0, or pick one with --key NAME (key= in Python)"
            )
    elif key not in keys:
        raise GanbenchError(f"{shown} has no array {key!r}: it holds {', '.join(keys) or 'none'}")
    array = _map_npz_member(path, key)
    reopen = ("npz", os.path.abspath(path), key) if isinstance(array, np.memmap) else None
    return ArraySource(
        array, kind="npz", path=os.path.abspath(path), where=f"{shown} (key {key!r})", extra={"key": key}, reopen=reopen
    )


def _open_npy(path: Path, shown: str) -> ArraySource:
    array = _map_npy(path)
    reopen = ("npy", os.path.abspath(path), None) if isinstance(array, np.memmap) else None
    return ArraySource(array, kind="npy", path=os.path.abspath(path), where=shown, reopen=reopen)
