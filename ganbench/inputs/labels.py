"""Class labels for a set of images, from .npy / .npz / .json / .txt, never unpickled.

One integer class per image, in the images' order. Every problem is one GanbenchError naming the
file and how to save it properly.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import GanbenchError

SAVE_HINT = "save them with numpy.save(path, labels.astype('int64')) (or a JSON list of integers)"


def _from_numpy(p: Path) -> np.ndarray:
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
        if magic.startswith(b"PK\x03\x04"):
            with np.load(p, allow_pickle=False) as z:
                if not z.files:
                    raise GanbenchError(f"{p} holds no array: {SAVE_HINT}")
                return np.asarray(z["arr_0"] if "arr_0" in z.files else z[z.files[0]])
        if magic != b"\x93NUMPY":
            raise GanbenchError(f"{p} is not a NumPy file: {SAVE_HINT}")
        return np.asarray(np.load(p, allow_pickle=False))
    except GanbenchError:
        raise
    except ValueError as e:
        if "pickle" in str(e) or "object" in str(e):
            raise GanbenchError(f"{p} holds Python objects, which ganbench will not unpickle: {SAVE_HINT}") from None
        raise GanbenchError(f"cannot read labels from {p}: {e}; {SAVE_HINT}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise GanbenchError(f"cannot read labels from {p}: {getattr(e, 'strerror', None) or e}; {SAVE_HINT}") from None


def _from_text(p: Path) -> np.ndarray:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GanbenchError(f"cannot read labels from {p}: {getattr(e, 'strerror', None) or e}; {SAVE_HINT}") from None
    if p.suffix.lower() == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise GanbenchError(f"{p} is not valid JSON ({e.msg} at line {e.lineno}): {SAVE_HINT}") from None
        if isinstance(obj, dict) and "labels" in obj:
            obj = obj["labels"]
        if not isinstance(obj, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in obj):
            raise GanbenchError(f'{p} is not a JSON list of integers (or {{"labels": [...]}}): {SAVE_HINT}')
        return np.asarray(obj, dtype=np.int64)
    values = []
    for line in text.replace(",", "\n").splitlines():
        if line.strip():
            try:
                values.append(int(line.strip()))
            except ValueError:
                raise GanbenchError(
                    f"{p}: {line.strip()[:30]!r} is not an integer label: one integer per line, or {SAVE_HINT}"
                ) from None
    return np.asarray(values, dtype=np.int64)


def load_labels(path) -> np.ndarray:
    """(N,) int64 labels from `path`, or an array given directly (checked the same way)."""
    if isinstance(path, (str, Path)):
        p = Path(path)
        if not p.is_file():
            raise GanbenchError(f"no such labels file: {p}: check the path")
        arr = _from_text(p) if p.suffix.lower() in (".json", ".txt", ".csv") else _from_numpy(p)
        where = str(p)
    else:
        arr, where = np.asarray(path), "the labels"
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise GanbenchError(
            f"{where} has shape {arr.shape}: expected one label per image, (N,); "
            f"for logits or scores take argmax(axis=1) first"
        )
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu" or arr.dtype == bool:
        raise GanbenchError(f"{where} holds {arr.dtype} values, not integer class labels: {SAVE_HINT}")
    if arr.size and arr.min() < 0:
        raise GanbenchError(f"{where} holds a negative label ({int(arr.min())}): classes are 0, 1, 2, ...")
    return arr.astype(np.int64)
