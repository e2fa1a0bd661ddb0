"""Image files under a folder: scanning (symlinks, hidden and special files), decoding to RGB uint8."""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import GanbenchError
from ..progress import bar
from .base import IMAGE_EXTENSIONS, Images, ImageSource


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
            raise GanbenchError(
                f"cannot read image {shown}: 32-bit integer values outside 0..65535; save it as an 8- or 16-bit image"
            )
        # round(v * 255 / 65535) == round(v / 257), exactly, in integers (no ties since 257 is odd)
        return _grey_to_rgb(((2 * a + 257) // 514).astype(np.uint8)), ("16bit",)
    if mode == "F":
        raise GanbenchError(
            f"cannot read image {shown}: floating-point image, whose scaling ganbench "
            f"does not guess; save it as an 8-bit image"
        )
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
        raise GanbenchError(f"cannot read image {shown}: not a recognised image file; re-export or delete it") from None
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
                        raise GanbenchError(
                            f"cannot read image {self._shown(i)}: {e or type(e).__name__}; re-export or delete it"
                        ) from None
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
                raise GanbenchError(
                    f"cannot read image {self._shown(i)}: {str(e) or type(e).__name__}; re-export or delete it"
                ) from None

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
    files: List[str] = []
    special: List[str] = []
    others: Counter[str] = Counter()
    hidden, loops = 0, []
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
        raise GanbenchError(
            f"no images found in {shown} (looked for {', '.join(IMAGE_EXTENSIONS)}, "
            f"recursively, skipping hidden files): point at the folder holding the samples"
        )
    files.sort()
    notes = []
    if hidden:
        notes.append(f"skipped {hidden} hidden file(s)/folder(s) (names starting with '.')")
    if others:
        kinds = ", ".join(f"{n} {ext}" for ext, n in sorted(others.items()))
        notes.append(f"ignored {sum(others.values())} non-image file(s): {kinds}")
    if special:
        notes.append(
            f"skipped {len(special)} image name(s) that are not regular files (dangling links, FIFOs, "
            f"devices), e.g. {sorted(special)[0]}"
        )
    if loops:
        notes.append(
            f"skipped {len(loops)} linked folder(s) already read (a symlink loop or a second link), e.g. {loops[0]}"
        )
    lossy = sum(os.path.splitext(f)[1].lower() in LOSSY_EXTENSIONS for f in files)
    if lossy:
        notes.append(
            f"{lossy} JPEG file(s): lossy compression shifts FID and the other metrics (by about as much "
            f"as a small model change); save samples as PNG to score the generator itself"
        )
    return files, notes
