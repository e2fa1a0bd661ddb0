"""`ganbench leaderboard verify leaderboards/NAME/`: does a committed board still hold?

1. Every record the board was built from is there, byte for byte (its sha256 in board.json).
2. Every record whose samples are committed beside it: the samples match the record's sha256, and
   scoring them again gives the record's numbers within the board's `tolerance` (toy boards: the
   benchmark's own scorer, deterministic). Records whose samples are not available are listed as such.
3. The committed files equal a fresh build from those records, byte for byte.
Each problem is one line naming the row and the metric or the file; any problem is a non-zero exit."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, List, Union

import numpy as np

from ..errors import GanbenchError
from .build import build, figure_files, figures_made_with
from .definition import read_board
from .rows import load_records, row_label

if TYPE_CHECKING:
    from .rows import Entry


@dataclass
class Verdict:
    board: str
    problems: List[str] = field(default_factory=list)
    checked: List[str] = field(default_factory=list)
    not_checked: List[str] = field(default_factory=list)
    not_compared: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "board": self.board,
            "ok": self.ok,
            "problems": self.problems,
            "re_evaluated": self.checked,
            "not_re_evaluated": self.not_checked,
            "not_compared": self.not_compared,
            "notes": self.notes,
        }

    def table(self) -> str:
        lines = [f"FAIL {p}" for p in self.problems] + [f"note: {n}" for n in self.notes]
        lines.append(
            f"{'OK' if self.ok else 'FAILED'} {self.board}: {len(self.checked)} record(s) re-evaluated, "
            f"{len(self.not_checked)} without samples here, {len(self.problems)} problem(s)"
        )
        return "\n".join(lines)


def _rescore(entry: Entry, records_dir: Path, tolerance: float, v: Verdict) -> None:
    from ..cache import file_digest

    rec, label = entry.data, row_label(entry.data)
    s = rec["provenance"].get("samples") or {}
    path = records_dir / s["path"] if s.get("path") else None
    if path is None or not path.is_file():
        v.not_checked.append(entry.name)
        return
    if s.get("file_sha256") and file_digest(path) != s["file_sha256"]:
        v.problems.append(f"row {label!r} ({entry.name}): samples file {path.name} does not match the record's sha256")
    extractor = rec["protocol"]["extractor"]
    if not str(extractor).startswith("toy:"):
        v.not_checked.append(entry.name)  # Inception metrics need the official weights and the reference
        return
    from .toyscore import with_intervals

    with np.load(path, allow_pickle=False) as z:
        fresh = with_intervals(extractor[4:], z["samples"])
    for m, mv in rec["metrics"].items():
        now = fresh.get(m, {}).get("value")
        if now is None or abs(now - mv["value"]) > tolerance:
            v.problems.append(
                f"row {label!r} ({entry.name}): {m} moved from {mv['value']!r} to {now!r} (tolerance {tolerance:g})"
            )
    v.checked.append(entry.name)


def verify(board_dir: Union[str, os.PathLike]) -> Verdict:
    board_dir = Path(board_dir)
    definition = read_board(board_dir)
    committed = board_dir / "board.json"
    if not committed.is_file():
        raise GanbenchError(
            f"{board_dir} has no board.json: build it first with `ganbench leaderboard build "
            f"{board_dir}/records --out {board_dir}`"
        )
    board = json.loads(committed.read_text())
    v = Verdict(str(board_dir))
    records_dir = board_dir / board.get("records_dir", "records")
    studies = definition.get("kind") == "studies"
    kinds = ("study",) if studies else ("eval",)
    entries = {e.name: e for e in load_records([records_dir], kinds)} if records_dir.is_dir() else {}
    listed = {r["record"]: r["sha256"] for r in board["records"]}
    labels = {e["record"]: r["label"] for r in board["rows"] for e in r["records"]}
    for name, sha in sorted(listed.items()):
        if name not in entries:
            v.problems.append(f"row {labels.get(name, '?')!r}: record {name} is missing from {records_dir}")
        elif entries[name].sha256 != sha:
            v.problems.append(
                f"row {labels.get(name, row_label(entries[name].data))!r}: record {name} changed "
                f"(sha256 {entries[name].sha256[:12]}..., the board was built from {sha[:12]}...)"
            )
    for name in sorted(set(entries) - set(listed)):
        v.problems.append(f"record {name} is in {records_dir} but not on the board: rebuild the board")
    if studies:  # curves are measured by training; rerunning the board's runner re-measures them
        v.notes.append(
            "study records: sha256 and a fresh build checked; the curves are re-measured by rerunning "
            "the board's runner, not here"
        )
    for name in sorted(entries) if not studies else ():
        _rescore(entries[name], records_dir, float(definition.get("tolerance", 1e-9)), v)
    fresh = build([records_dir], board_dir, write=False) if entries else {}
    made_with, here = board.get("figures_made_with"), figures_made_with()
    if made_with != here:  # the tables still must match byte for byte; the figures cannot
        v.not_compared = figure_files(fresh)
        fresh = {k: b for k, b in fresh.items() if k not in v.not_compared}
        fresh["board.json"] = fresh["board.json"].replace(here.encode(), str(made_with).encode())
        v.notes.append(f"figures and index.html not compared: built with {made_with}, this is {here}")
    for name, payload in sorted(fresh.items()):
        path = board_dir / name
        if not path.is_file() or path.read_bytes() != payload:
            v.problems.append(
                f"{path} differs from a fresh build of its records: rebuild with `ganbench leaderboard "
                f"build {records_dir} --out {board_dir}`"
            )
    return v
