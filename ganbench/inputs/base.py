"""What an image source is: a fixed, ordered set of RGB uint8 images, read in batches, with notes.

The concrete sources are in arrays.py (arrays, .npy, .npz) and folders.py (image files);
images.py opens the right one for a path or object.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

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

    def content_hash(self) -> Optional[str]:  # None where not known yet (a generator's, before every image)
        if self._hash is None:
            self._hash = self._compute_hash()
        return self._hash

    def _compute_hash(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "path": self.path,
            "count": len(self),
            "shape": self._known_shape(),
            "notes": self.notes,
        }

    def _known_shape(self) -> Optional[Tuple[int, int]]:
        return self.shape_hint

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.path or ''} n={len(self)}>"


def _stack_or_list(images: List[np.ndarray]) -> Images:
    if len({im.shape for im in images}) <= 1:
        return np.stack(images) if images else np.zeros((0, 0, 0, 3), np.uint8)
    return images
