"""Outputs and their targets, matched pair by pair, for the paired metrics (psnr, ssim, lpips).

Two folders match by relative file path (out/a/x.png with tgt/a/x.png; the extension is part of the
name, so a PNG output never silently pairs with a JPEG target of the same stem). Anything else (two
arrays, or an array and a folder) matches by index, folders in their sorted order. Every pair must
have one size: the first unmatched name, count mismatch or differently sized pair is one error line.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import GanbenchError
from .base import ImageSource
from .folders import FolderSource
from .images import open_source


class Pairs:
    """`outputs[i]` is compared with `targets[index[i]]`; `names[i]` says which pair it is."""

    def __init__(
        self,
        outputs: ImageSource,
        targets: ImageSource,
        index: Sequence[int],
        names: List[str],
        matched_by: str,
        shown: Tuple[str, str],
    ):
        self.outputs, self.targets, self.index, self.names = outputs, targets, list(index), names
        self.matched_by, self.shown = matched_by, shown

    def __len__(self) -> int:
        return len(self.names)

    def read(self, indices: Sequence[int]):
        """(outputs, targets) of these pairs: stacked uint8 arrays when they share a size, else lists."""
        indices = list(indices)
        outs = self.outputs.read(indices)
        tgts = self.targets.read([self.index[i] for i in indices])
        for i, a, b in zip(indices, outs, tgts):
            if a.shape != b.shape:
                raise _size_error(self, i, a.shape[:2], b.shape[:2])
        return outs, tgts

    def describe(self) -> dict:
        return {"matched_by": self.matched_by, "count": len(self), "names": list(self.names)}


def _label(src: ImageSource, shown: str, i: int) -> str:
    return f"{shown.rstrip('/')}/{src.files[i]}" if isinstance(src, FolderSource) else f"{shown}[{i}]"


def _size_error(p: Pairs, i: int, a, b) -> GanbenchError:
    return GanbenchError(
        f"pair {p.names[i]}: output {_label(p.outputs, p.shown[0], i)} is {a[0]}x{a[1]} but target "
        f"{_label(p.targets, p.shown[1], p.index[i])} is {b[0]}x{b[1]}: each output must have its "
        f"target's size"
    )


def open_pairs(outputs, targets, *, key: Optional[str] = None, target_key: Optional[str] = None) -> Pairs:
    shown = (
        str(outputs) if not isinstance(outputs, np.ndarray) else "outputs",
        str(targets) if not isinstance(targets, np.ndarray) else "targets",
    )
    out, tgt = open_source(outputs, key=key), open_source(targets, key=target_key)
    if isinstance(out, FolderSource) and isinstance(tgt, FolderSource):
        where = {rel: j for j, rel in enumerate(tgt.files)}
        missing = [rel for rel in out.files if rel not in where]
        if missing:
            raise GanbenchError(
                f"output {_label(out, shown[0], out.files.index(missing[0]))} has no target "
                f"{shown[1].rstrip('/')}/{missing[0]} ({len(missing)} output(s) unmatched): outputs and "
                f"targets are matched by relative file name"
            )
        if len(tgt) > len(out):
            extra = next(rel for rel in tgt.files if rel not in set(out.files))
            raise GanbenchError(
                f"target {shown[1].rstrip('/')}/{extra} has no output {shown[0].rstrip('/')}/{extra} "
                f"({len(tgt) - len(out)} target(s) unmatched): outputs and targets are matched by "
                f"relative file name"
            )
        pairs = Pairs(out, tgt, [where[rel] for rel in out.files], list(out.files), "relative file name", shown)
    else:
        if len(out) != len(tgt):
            raise GanbenchError(
                f"{shown[0]} holds {len(out)} outputs but {shown[1]} holds {len(tgt)} targets: "
                f"{'arrays' if not isinstance(out, FolderSource) else 'a folder and an array'} are "
                f"matched by index, so they need the same count"
            )
        names = (
            out.files
            if isinstance(out, FolderSource)
            else (tgt.files if isinstance(tgt, FolderSource) else [str(i) for i in range(len(out))])
        )
        pairs = Pairs(out, tgt, range(len(out)), list(names), "index", shown)
    _check_sizes(pairs)
    return pairs


def _sizes(src: ImageSource) -> Optional[List[Tuple[int, int]]]:
    """Every image's (H, W) from the headers (folders) or the array; None if unknown."""
    if isinstance(src, FolderSource):
        _ = src.shape_hint  # reads every header once; a damaged file fails here, named
        return [src._sizes[i] for i in range(len(src))]
    hint = src.shape_hint
    return None if hint is None else [hint] * len(src)


def _check_sizes(p: Pairs) -> None:
    """Before any metric runs: the first pair whose sizes differ (headers only, nothing is decoded)."""
    a, b = _sizes(p.outputs), _sizes(p.targets)
    if a is None or b is None:
        return  # checked pair by pair as they are read
    for i in range(len(p)):
        if tuple(a[i]) != tuple(b[p.index[i]]):
            raise _size_error(p, i, a[i], b[p.index[i]])
