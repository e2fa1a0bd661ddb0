"""The class labels of one side of a comparison (samples or reference), for the metrics that read them.

Where they come from (`--labels SPEC` / `--ref-labels SPEC`, or found without one):
  * a labels file: .npy / .npz / .json / .txt (`labels.load_labels`), or a .csv of `file,label` rows for
    a folder of images (file relative to the folder; a header row is allowed) or one label per line;
  * NAME: the array NAME of the side's own multi-array .npz (e.g. `labels`, `test_labels`);
  * `folders`: the side is a folder with one subfolder per class (what `ganbench sample --classes` writes);
    subfolders named 0, 1, ... are those classes, other names are numbered in sorted order;
  * without SPEC: a .npz side's `labels` array, a registered reference's own labels, or a folder whose
    every image sits in a class subfolder.
Every problem is one GanbenchError naming the file and the fix.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..errors import GanbenchError
from .labels import load_labels

FOLDERS = "folders"


def reference_labels(name: str) -> np.ndarray:
    """A registered reference's (cifar10, cifar10-test) labels, from its archive."""
    from . import references

    ref = references.get_reference(name)
    path = references.fetch_archive(ref.name)
    return np.asarray(ref.archive.reader(path, ref.members, ref.archive.member_md5)[1], dtype=np.int64)


def _folder_labels(src, where: str, flag: str) -> Tuple[np.ndarray, dict]:
    outside = [f for f in src.files if "/" not in f]
    if outside:
        raise GanbenchError(
            f"{where} has images outside class subfolders (e.g. {outside[0]}): put every image in "
            f"a subfolder named by its class, or pass labels with {flag} FILE"
        )
    names = [f.split("/", 1)[0] for f in src.files]
    kinds = sorted(set(names))
    if all(k.isdigit() for k in kinds):
        return np.asarray([int(n) for n in names], np.int64), {}
    index = {k: i for i, k in enumerate(kinds)}
    return np.asarray([index[n] for n in names], np.int64), {str(i): k for k, i in index.items()}


def _csv_rows(path: Path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise GanbenchError(
            f"cannot read labels from {path}: {getattr(e, 'strerror', None) or e}; save it as UTF-8 rows of file,label"
        ) from None


def _csv_labels(path: Path, src, where: str) -> np.ndarray:
    rows = _csv_rows(path)
    if not rows or len(rows[0]) < 2:
        return load_labels(path)  # one label per line
    if getattr(src, "kind", None) != "folder":
        raise GanbenchError(
            f"{path} labels files by name, but {where} is not a folder of images: for an array "
            f"pass one label per line (or a .npy) in the images' order"
        )
    if not rows[0][1].strip().lstrip("-").isdigit():
        rows = rows[1:]  # a header row
    files = {f: i for i, f in enumerate(src.files)}
    by_name: Dict[str, List[str]] = {}
    for f in src.files:
        by_name.setdefault(f.rsplit("/", 1)[-1], []).append(f)
    out = np.full(len(src.files), -1, np.int64)
    for n, row in enumerate(rows, 1):
        if len(row) != 2:
            raise GanbenchError(f"{path} row {n} has {len(row)} fields: every row is file,label")
        name, value = row[0].strip().replace("\\", "/"), row[1].strip()
        if name not in files and len(by_name.get(name, ())) == 1:
            name = by_name[name][0]  # a bare file name that is unique in the folder
        if name not in files:
            raise GanbenchError(
                f"{path} row {n} names {row[0]!r}, which is not an image of {where}: name files relative to that folder"
            )
        if not value.isdigit():
            raise GanbenchError(f"{path} row {n}: label {value!r} is not a class number 0, 1, 2, ...")
        out[files[name]] = int(value)
    missing = np.flatnonzero(out < 0)
    if missing.size:
        raise GanbenchError(
            f"{path} has no row for {missing.size} image(s) of {where}, e.g. "
            f"{src.files[missing[0]]}: add one row file,label per image"
        )
    return out


def resolve_labels(
    spec, src, where: str, flag: str, registered: Optional[str] = None, required: bool = True
) -> Tuple[Optional[np.ndarray], dict]:
    """(labels (N,) int64 or None, provenance) of the side `src` (an ImageSource or a FeatureSet) shown as
    `where`; `flag` is the option that passes them (for messages); `registered` the reference's name."""
    kind, path = getattr(src, "kind", None), getattr(src, "path", None)
    if spec is None or isinstance(spec, str) and spec == "":
        if kind == "npz" and path and "labels" in _npz_names(path):
            spec = "labels"
        elif registered is not None:
            return _checked(reference_labels(registered), src, where, flag), {"source": f"reference {registered}"}
        elif kind == "folder" and all("/" in f for f in src.files):
            spec = FOLDERS
        elif required:
            raise GanbenchError(
                f"{where} has no class labels: pass {flag} FILE (.npy/.npz/.json/.txt, or a .csv of "
                f"file,label), {flag} NAME (an array of its .npz) or {flag} {FOLDERS} (one subfolder "
                f"per class)"
            )
        else:
            return None, {}
    if isinstance(spec, (np.ndarray, list, tuple)):
        return _checked(load_labels(np.asarray(spec)), src, where, flag), {"source": "array"}
    if str(spec) == FOLDERS:
        if kind != "folder":
            raise GanbenchError(f"{flag} {FOLDERS}: {where} is not a folder of images; pass a labels file")
        labels, names = _folder_labels(src, where, flag)
        return _checked(labels, src, where, flag), {
            "source": "class subfolders",
            **({"class_names": names} if names else {}),
        }
    p = Path(str(spec)).expanduser()
    if not p.exists() and kind == "npz" and path:
        keys = _npz_names(path)
        if str(spec) not in keys:
            raise GanbenchError(
                f"{flag} {spec}: no such file, and {where} has no array of that name (it holds "
                f"{', '.join(keys)}); pass a labels file or one of those names"
            )
        from .arrays import _map_npz_member

        return (
            _checked(load_labels(np.asarray(_map_npz_member(Path(path), str(spec)))), src, where, flag),
            {"source": f"array {spec} of {where}"},
        )
    if not p.is_file():
        raise GanbenchError(
            f"{flag} {spec}: no such labels file; pass a .npy/.npz/.json/.txt/.csv file"
            + (", an array name of the .npz" if kind == "npz" else "")
            + (f" or {FOLDERS}" if kind == "folder" else "")
        )
    labels = _csv_labels(p, src, where) if p.suffix.lower() == ".csv" else load_labels(p)
    return _checked(labels, src, where, flag, p), {"source": str(p)}


def _npz_names(path) -> list:
    from .arrays import _npz_keys

    return list(_npz_keys(Path(path)))


def _checked(labels: np.ndarray, src, where: str, flag: str, path: Optional[Path] = None) -> np.ndarray:
    n = src.n if hasattr(src, "n") and not hasattr(src, "__len__") else len(src)
    if len(labels) != n:
        shown = str(path) if path is not None else "the labels"
        raise GanbenchError(
            f"{shown}: {len(labels)} labels for the {n} images of {where}; pass one label per "
            f"image, in their order ({flag})"
        )
    return labels
