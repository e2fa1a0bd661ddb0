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

import os
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import GanbenchError
from .arrays import ArraySource, _open_npy, _open_npz
from .base import IMAGE_EXTENSIONS, Images, ImageSource, _stack_or_list
from .folders import FolderSource, decode_image, to_rgb8

__all__ = [
    "IMAGE_EXTENSIONS",
    "Images",
    "ImageSource",
    "ArraySource",
    "FolderSource",
    "open_source",
    "decode_image",
    "to_rgb8",
    "_stack_or_list",
]


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
        raise GanbenchError(
            f"cannot read images from a {type(source).__name__}: pass a folder, a .npz "
            f"or .npy file, a numpy uint8 array or a torch uint8 tensor"
        )
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
        raise GanbenchError(f"{shown} is not a NumPy file (bad header): re-save it with numpy.save or numpy.savez")
    if ext in IMAGE_EXTENSIONS:
        raise GanbenchError(
            f"{shown} is a single image: ganbench evaluates sets of images, so pass the folder that holds the samples"
        )
    raise GanbenchError(
        f"unsupported input {shown}: pass a folder of images ({', '.join(IMAGE_EXTENSIONS)}), a .npz or a .npy file"
    )
