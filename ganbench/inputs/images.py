"""Image sources: a folder of image files, a .npz / .npy file, or an in-memory array, all read the same way.

Every source yields RGB uint8 images, H×W×3.  Anything converted on the way (greyscale, alpha,
16-bit, channels-first arrays) is reported in ``src.notes``, never done silently.

Decisions a caller relies on:

* Arrays must be uint8 0..255.  Float or other dtypes are refused: their scaling (0..1? -1..1?)
  cannot be guessed safely and a wrong guess silently ruins every metric.
* A single image file is refused: metrics need a set of images, so pass the folder holding it.
* Folders are walked recursively in sorted relative-POSIX-path order.  Hidden files and folders
  (names starting with '.', e.g. .ipynb_checkpoints or macOS '._x.png' forks) are skipped, with a note.
  EXIF orientation is not applied (torch-fidelity and clean-fid do not apply it either).
* Folder images are decoded lazily, so conversion notes are complete only once every image has
  been read (``read``, or ``decode`` in a worker followed by ``record`` in the parent).
* .npy files, and members of uncompressed .npz files (``np.savez``, the usual way samples are
  published), are memory-mapped: 50k images are not read upfront.  Compressed .npz is loaded whole.
* Sources pickle cheaply (paths, not open files or mapped data), so worker processes can read them.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from ..errors import GanbenchError
from ..progress import bar

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")

Images = Union[np.ndarray, List[np.ndarray]]

# What each conversion kind says in src.notes; {n} images were converted that way.
_NOTE_TEXT = {
    "grey": "{n} greyscale image(s) converted to RGB",
    "grey-alpha": "{n} greyscale+alpha image(s) converted to RGB (alpha dropped)",
    "bilevel": "{n} 1-bit image(s) converted to RGB",
    "palette": "{n} palette image(s) converted to RGB",
    "alpha": "{n} RGBA image(s): alpha channel dropped",
    "cmyk": "{n} CMYK image(s) converted to RGB (plain conversion, colour profile ignored)",
    "16bit": "{n} 16-bit greyscale image(s) reduced to 8 bits (rounded) and converted to RGB",
    "16bit-rgb": "{n} 16-bit colour image(s) reduced to 8 bits (Pillow keeps the high byte)",
    "animated": "{n} animated image(s): only the first frame used",
}


def _note(kind: str, n: int) -> str:
    if kind.startswith("mode:"):
        return f"{n} {kind[5:]} image(s) converted to RGB"
    return _NOTE_TEXT[kind].format(n=n)


class ImageSource:
    """A fixed, ordered set of images.

    ``len(src)``; ``src.read(indices)`` -> (B,H,W,3) uint8 when the images share a size, else a list
    of (H,W,3) uint8 arrays; ``shape_hint`` -> (H,W) or None; ``content_hash()`` -> sha256 hex;
    ``describe()`` -> provenance dict; ``notes`` -> list of conversion messages.

    For parallel reading: ``decode(i)`` is pure (safe in a worker holding a pickled copy) and returns
    (image, conversion kinds); hand the kinds back to ``record(i, kinds)`` in the parent so that
    ``notes`` stays complete.
    """

    kind = "?"

    def __init__(self, path: Optional[str] = None, notes: Sequence[str] = ()):
        self.path = path
        self._static_notes = list(notes)
        self._converted: Dict[str, Set[int]] = {}
        self._hash: Optional[str] = None

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, index: int) -> Tuple[np.ndarray, Tuple[str, ...]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def record(self, index: int, conversions: Sequence[str]) -> None:
        """Remember that image `index` was converted (kinds from `decode`), for `notes`."""
        for kind in conversions:
            self._converted.setdefault(kind, set()).add(int(index))

    def read(self, indices: Sequence[int]) -> Images:
        images = []
        for i in list(indices):
            img, kinds = self.decode(i)
            self.record(i, kinds)
            images.append(img)
        return _stack_or_list(images)

    def check(self) -> None:
        """Open every image and check its file is whole, without decoding pixels; GanbenchError naming
        the first bad file. Arrays were checked when opened."""

    def batches(self, batch_size: int):
        """Yield `read` results for consecutive batches, in order."""
        for start in range(0, len(self), batch_size):
            yield self.read(range(start, min(start + batch_size, len(self))))

    @property
    def shape_hint(self) -> Optional[Tuple[int, int]]:
        return None

    @property
    def notes(self) -> List[str]:
        return self._static_notes + [_note(k, len(v)) for k, v in sorted(self._converted.items())]

    def content_hash(self) -> str:
        if self._hash is None:
            self._hash = self._compute_hash()
        return self._hash

    def _compute_hash(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {"kind": self.kind, "path": self.path, "count": len(self), "shape": self._known_shape(),
                "notes": self.notes}

    def _known_shape(self) -> Optional[Tuple[int, int]]:
        return self.shape_hint

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.path or ''} n={len(self)}>"


def _stack_or_list(images: List[np.ndarray]) -> Images:
    if len({im.shape for im in images}) <= 1:
        return np.stack(images) if images else np.zeros((0, 0, 0, 3), np.uint8)
    return images


# --------------------------------------------------------------------------------------- arrays


class ArraySource(ImageSource):
    """Images in an array: NHWC uint8 (also NCHW, N×H×W greyscale, 4 channels), possibly memory-mapped.

    Conversions are applied per batch in `read`, so a memory-mapped array stays lazy.
    `identity`, when given, replaces hashing the pixels (registered references use their archive md5).
    """

    def __init__(self, array: np.ndarray, *, kind: str = "array", path: Optional[str] = None,
                 where: str = "the array", identity: Optional[str] = None,
                 extra: Optional[dict] = None, reopen: Optional[tuple] = None):
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
        h, w = (array.shape[2:4] if layout == "nchw" else array.shape[1:3])
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
        # Hash the normalised RGB pixels, so the same images hash the same whatever their layout.
        h = hashlib.sha256(b"ganbench-images-v1\0")
        h.update(f"{self._n}x{self._hw[0]}x{self._hw[1]}x3\0".encode())
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
            f".astype('uint8'))")
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3 and shape[-1] in (3, 4):
        raise GanbenchError(f"{where} has shape {shape}, which looks like one H×W×C image: "
                            f"{expected}; add a leading batch axis")
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
            raise GanbenchError(f"{path} holds Python objects, which ganbench will not unpickle: "
                                f"save the images as a uint8 array") from None
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
            raise GanbenchError(f"{path} (key {key!r}) holds Python objects, which ganbench will not "
                                f"unpickle: save the images as a uint8 array") from None
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
            raise GanbenchError(f"{shown} holds arrays {listed} and none is named arr_0: save the "
                                f"images alone or as arr_0, or pick one with --key NAME (key= in Python)")
    elif key not in keys:
        raise GanbenchError(f"{shown} has no array {key!r}: it holds {', '.join(keys) or 'none'}")
    array = _map_npz_member(path, key)
    reopen = ("npz", os.path.abspath(path), key) if isinstance(array, np.memmap) else None
    return ArraySource(array, kind="npz", path=os.path.abspath(path), where=f"{shown} (key {key!r})",
                       extra={"key": key}, reopen=reopen)


def _open_npy(path: Path, shown: str) -> ArraySource:
    array = _map_npy(path)
    reopen = ("npy", os.path.abspath(path), None) if isinstance(array, np.memmap) else None
    return ArraySource(array, kind="npy", path=os.path.abspath(path), where=shown, reopen=reopen)


# -------------------------------------------------------------------------------------- folders


def to_rgb8(im, shown: str) -> Tuple[np.ndarray, Tuple[str, ...]]:
    """A loaded PIL image as (H,W,3) uint8 RGB, and the conversion kinds applied (for notes)."""
    mode = im.mode
    if mode == "RGB":
        return np.asarray(im), ()
    if mode == "L":
        return _grey_to_rgb(np.asarray(im)), ("grey",)
    if mode == "1":
        return _grey_to_rgb(np.asarray(im.convert("L"))), ("bilevel",)
    if mode in ("LA", "La"):
        return _grey_to_rgb(np.asarray(im.getchannel(0))), ("grey-alpha",)
    if mode in ("P", "PA"):
        return np.asarray(im.convert("RGB")), ("palette",)
    if mode in ("RGBA", "RGBX"):
        return np.ascontiguousarray(np.asarray(im)[..., :3]), ("alpha",)
    if mode == "CMYK":
        return np.asarray(im.convert("RGB")), ("cmyk",)
    if mode == "I" or mode.startswith("I;16"):
        a = np.asarray(im).astype(np.int64)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise GanbenchError(f"cannot read image {shown}: 32-bit integer values outside 0..65535; "
                                f"save it as an 8- or 16-bit image")
        # round(v * 255 / 65535) == round(v / 257), exactly, in integers (no ties since 257 is odd)
        return _grey_to_rgb(((2 * a + 257) // 514).astype(np.uint8)), ("16bit",)
    if mode == "F":
        raise GanbenchError(f"cannot read image {shown}: floating-point image, whose scaling ganbench "
                            f"does not guess; save it as an 8-bit image")
    return np.asarray(im.convert("RGB")), (f"mode:{mode}",)


def _grey_to_rgb(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(a[..., None], 3, axis=-1))


def decode_image(path, shown: Optional[str] = None) -> Tuple[np.ndarray, Tuple[str, ...]]:
    """Decode one image file to (H,W,3) uint8 RGB; truncated or unreadable files raise GanbenchError."""
    from PIL import Image, UnidentifiedImageError

    shown = shown or str(path)
    try:
        with Image.open(path) as im:
            kinds: Tuple[str, ...] = ()
            if getattr(im, "n_frames", 1) > 1:
                kinds += ("animated",)
            if im.mode in ("RGB", "RGBA") and any(";16" in str(t[3]) for t in im.tile if len(t) > 3):
                kinds += ("16bit-rgb",)  # Pillow decodes 16-bit colour PNGs to 8 bits itself
            im.load()  # decode now: a truncated file fails here, not half-way through the metrics
            arr, more = to_rgb8(im, shown)
    except GanbenchError:
        raise
    except UnidentifiedImageError:
        raise GanbenchError(f"cannot read image {shown}: not a recognised image file; "
                            f"re-export or delete it") from None
    except Exception as e:  # PIL raises many types for damaged files
        reason = str(e) or type(e).__name__
        raise GanbenchError(f"cannot read image {shown}: {reason}; re-export or delete it") from None
    return arr, kinds + more


class FolderSource(ImageSource):
    """Image files under a folder, recursively, in sorted relative-path order, decoded lazily."""

    kind = "folder"

    def __init__(self, root: Path, shown: str):
        files, notes = _scan(root, shown)
        super().__init__(os.path.abspath(root), notes)
        self.root = Path(os.path.abspath(root))  # absolute: workers may run in another cwd
        self.shown = shown  # the folder as the user wrote it, for messages
        self.files = files  # relative POSIX paths
        self._sizes: Dict[int, Tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.files)

    def file(self, index: int) -> Path:
        return self.root / self.files[index]

    def _shown(self, index: int) -> str:
        return f"{self.shown.rstrip('/')}/{self.files[index]}"

    def decode(self, index: int) -> Tuple[np.ndarray, Tuple[str, ...]]:
        return decode_image(self.file(index), self._shown(index))

    def read(self, indices: Sequence[int]) -> Images:
        indices = list(indices)
        images = super().read(indices)
        for i, im in zip(indices, images):
            self._sizes[int(i)] = im.shape[:2]
        return images

    @property
    def shape_hint(self) -> Optional[Tuple[int, int]]:
        """(H,W) if every image has it.  First use reads the headers of images not decoded yet."""
        if len(self._sizes) < len(self.files):
            from PIL import Image

            for i in range(len(self.files)):
                if i not in self._sizes:
                    try:
                        with Image.open(self.file(i)) as im:
                            self._sizes[i] = (im.height, im.width)
                    except Exception as e:
                        raise GanbenchError(f"cannot read image {self._shown(i)}: {e or type(e).__name__}; "
                                            f"re-export or delete it") from None
        sizes = set(self._sizes.values())
        return sizes.pop() if len(sizes) == 1 else None

    def check(self) -> None:
        from PIL import Image

        for i in bar(range(len(self.files)), desc="checking images", unit="file"):
            try:
                with Image.open(self.file(i)) as im:
                    self._sizes[i] = (im.height, im.width)
                    im.verify()  # PNG: every chunk's CRC, so a truncated file fails here
            except Exception as e:  # noqa: BLE001 - PIL raises many types for damaged files
                raise GanbenchError(f"cannot read image {self._shown(i)}: {str(e) or type(e).__name__}; "
                                    f"re-export or delete it") from None

    def _compute_hash(self) -> str:
        from ..cache import file_digest

        h = hashlib.sha256(b"ganbench-folder-v1\0")
        for i, rel in enumerate(bar(self.files, desc="hashing images", unit="file")):
            try:
                digest = file_digest(self.file(i))
            except OSError as e:
                raise GanbenchError(f"cannot read image {self._shown(i)}: {e.strerror or e}") from None
            h.update(f"{rel}\0{digest}\n".encode())
        return h.hexdigest()

    def _known_shape(self) -> Optional[Tuple[int, int]]:
        if len(self._sizes) < len(self.files):
            return None  # describe() stays cheap: no header scan
        return self.shape_hint


LOSSY_EXTENSIONS = (".jpg", ".jpeg")


def _scan(root: Path, shown: str) -> Tuple[List[str], List[str]]:
    """Image files under `root`, following symlinked folders once each (a link back up the tree is
    skipped, not looped), and only regular files: a FIFO named x.png would block the reader forever."""
    files, hidden, others, special, loops = [], 0, Counter(), [], []
    seen = {os.path.realpath(root)}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        hidden += sum(d.startswith(".") for d in dirnames)
        keep = []
        for d in sorted(d for d in dirnames if not d.startswith(".")):
            real = os.path.realpath(os.path.join(dirpath, d))
            if real in seen:  # a symlink loop, or a second link to a folder already read
                loops.append((Path(dirpath).relative_to(root) / d).as_posix())
                continue
            seen.add(real)
            keep.append(d)
        dirnames[:] = keep
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            if name.startswith("."):
                hidden += 1
                continue
            ext = os.path.splitext(name)[1].lower()
            if ext not in IMAGE_EXTENSIONS:
                others[ext or "(no extension)"] += 1
                continue
            rel = (rel_dir / name).as_posix()
            try:
                regular = stat.S_ISREG(os.stat(os.path.join(dirpath, name)).st_mode)  # follows file links
            except OSError:
                regular = False  # a dangling link
            (files if regular else special).append(rel)
    if not files:
        raise GanbenchError(f"no images found in {shown} (looked for {', '.join(IMAGE_EXTENSIONS)}, "
                            f"recursively, skipping hidden files): point at the folder holding the samples")
    files.sort()
    notes = []
    if hidden:
        notes.append(f"skipped {hidden} hidden file(s)/folder(s) (names starting with '.')")
    if others:
        kinds = ", ".join(f"{n} {ext}" for ext, n in sorted(others.items()))
        notes.append(f"ignored {sum(others.values())} non-image file(s): {kinds}")
    if special:
        notes.append(f"skipped {len(special)} image name(s) that are not regular files (dangling links, FIFOs, "
                     f"devices), e.g. {sorted(special)[0]}")
    if loops:
        notes.append(f"skipped {len(loops)} linked folder(s) already read (a symlink loop or a second link), "
                     f"e.g. {loops[0]}")
    lossy = sum(os.path.splitext(f)[1].lower() in LOSSY_EXTENSIONS for f in files)
    if lossy:
        notes.append(f"{lossy} JPEG file(s): lossy compression shifts FID and the other metrics (by about as much "
                     f"as a small model change); save samples as PNG to score the generator itself")
    return files, notes


# ---------------------------------------------------------------------------------------- entry


def open_source(source, *, key: Optional[str] = None) -> ImageSource:
    """An ImageSource for a folder, a .npz (`key`, else arr_0 or its only array), a .npy, a numpy
    array or a torch uint8 tensor.  An ImageSource is returned as is."""
    if isinstance(source, ImageSource):
        return source
    if isinstance(source, np.ndarray):
        return ArraySource(source)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(source, torch.Tensor):
        return ArraySource(source.detach().cpu().numpy(), where="the tensor")
    if not isinstance(source, (str, os.PathLike)):
        raise GanbenchError(f"cannot read images from a {type(source).__name__}: pass a folder, a .npz "
                            f"or .npy file, a numpy uint8 array or a torch uint8 tensor")
    shown = os.fspath(source)
    path = Path(shown).expanduser()
    if path.is_dir():
        return FolderSource(path, shown)
    if not path.exists():
        raise GanbenchError(f"no such file or folder: {shown}: check the path")
    ext = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise GanbenchError(f"cannot read {shown}: {e.strerror or e}") from None
    # Dispatch on content, so a .npz saved under a .npy name (or the reverse) still works.
    if ext in (".npz", ".npy"):
        if magic.startswith(b"PK\x03\x04"):
            return _open_npz(path, shown, key)
        if magic == b"\x93NUMPY":
            return _open_npy(path, shown)
        raise GanbenchError(f"{shown} is not a NumPy file (bad header): re-save it with numpy.save "
                            f"or numpy.savez")
    if ext in IMAGE_EXTENSIONS:
        raise GanbenchError(f"{shown} is a single image: ganbench evaluates sets of images, so pass "
                            f"the folder that holds the samples")
    raise GanbenchError(f"unsupported input {shown}: pass a folder of images "
                        f"({', '.join(IMAGE_EXTENSIONS)}), a .npz or a .npy file")
