"""Reading and atomically writing toy data sets (.npy: the data; .npz: arr_0 = data, labels = labels)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..cache import atomic_path
from ..errors import GanbenchError

SUFFIXES = (".npy", ".npz")


def check_n_seed(n, seed) -> None:
    """Reject a sample count below 1 or a seed numpy cannot use, as one-line user errors."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise GanbenchError(f"the number of samples must be a positive integer, got {n!r}: pass n >= 1")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise GanbenchError(f"the seed must be a non-negative integer, got {seed!r}: pass e.g. seed=0")


def load_array(path_or_array) -> np.ndarray:
    """An array as is, or the array in a .npy file, or key arr_0 (or the only key) of a .npz file."""
    if isinstance(path_or_array, (str, Path)):
        path = Path(path_or_array)
        if path.suffix not in SUFFIXES:
            raise GanbenchError(f"{path}: unsupported file type {path.suffix!r}: give a .npy or .npz file")
        try:
            if path.suffix == ".npy":
                return np.load(path, allow_pickle=False)
            with np.load(path, allow_pickle=False) as f:
                keys = list(f.files)
                key = "arr_0" if "arr_0" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise GanbenchError(f"{path}: no arr_0 among keys {keys}: save the samples as arr_0")
                return f[key]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            why = getattr(e, "strerror", None) or e
            raise GanbenchError(f"cannot read {path}: {why}: give a readable .npy or .npz file") from None
    arr = np.asarray(path_or_array)
    if arr.dtype == object:
        raise GanbenchError("the samples are not a numeric array: pass a numpy array or a .npy/.npz path")
    return arr


def save_dataset(path, data: np.ndarray, labels: np.ndarray) -> Path:
    """Write `data` (.npy), or `data` as arr_0 plus `labels` (.npz), atomically; return the path."""
    path = Path(path)
    if path.is_dir():
        raise GanbenchError(f"{path} is a directory: give a file name ending in .npy or .npz")
    if path.suffix not in SUFFIXES:
        raise GanbenchError(f"{path}: unsupported output type {path.suffix!r}: end the name in .npy or .npz")
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            if path.suffix == ".npy":
                np.save(f, data)
            else:
                np.savez(f, data, labels=labels)
    except OSError as e:
        parent = e.filename and Path(e.filename) in path.parents  # e.g. a parent that is a file
        where = f"{e.filename}: " if parent else ""
        why = f"{where}{e.strerror or e}"
        raise GanbenchError(f"cannot write {path}: {why}: choose a writable path") from None
    return path
