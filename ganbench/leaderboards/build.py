"""`ganbench leaderboard build RECORDS... --out leaderboards/NAME/`: records + the board's definition
(board.toml, reported.toml) -> README.md, board.csv, board.json, board.tex, index.html and figures.

Everything is a function of the records' bytes and the definition: no time, no machine, stable order,
fixed number formatting, PNGs without metadata. So a rebuild is byte-identical, and `verify` can
compare a committed board with a fresh build."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Union

from ..errors import GanbenchError
from . import figures, html, render
from .definition import direction, read_board, read_reported
from .rows import group, load_records, order, row_label, set_aside_reason, summarise

if TYPE_CHECKING:
    from .rows import Row

GENERATED = ("README.md", "board.csv", "board.json", "board.tex", "index.html")


def _protocol_text(board: dict) -> str:
    want = board.get("protocol", {})
    if board.get("paired"):
        return (
            "each row's outputs for its task's test inputs, scored pair by pair against their targets by "
            "`ganbench eval OUTPUTS --target TARGETS` (conventions below the tables); evaluation intervals: "
            "percentile bootstrap over the pairs; " + "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in want.items())
        )
    if str(want.get("extractor", "")).startswith("toy:"):
        r = board.get("recipe", {})
        return (
            f"{want.get('n_generated')} samples of each run's final checkpoint (sampling seed "
            f"{r.get('sample_seed', 0)}), scored by the {board['benchmark']} benchmark's own metrics; evaluation "
            f"intervals: percentile bootstrap over the samples"
        )
    return "; ".join(
        f"{k.replace('_', ' ')} {' or '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in want.items()
    )


def _row_dict(row: Row) -> dict:
    recs = []
    for e in sorted(row.entries, key=lambda e: ((e.data.get("run") or {}).get("training_seed", 0), e.name)):
        s = e.data["provenance"].get("samples") or {}
        recs.append(
            {
                "record": e.name,
                "sha256": e.sha256,
                "training_seed": (e.data.get("run") or {}).get("training_seed"),
                "samples": {
                    "path": s.get("path"),
                    "file_sha256": s.get("file_sha256"),
                    "content_sha256": s.get("content_sha256"),
                },
            }
        )
    out = {
        "label": row.label,
        "baseline": row.baseline,
        "seeds": row.seeds,
        "selection": row.selection,
        "flagged": row.flagged,
        "protocol": row.protocol,
        "cells": row.cells,
        "records": recs,
    }
    if row.task is not None:  # a paired board's row: its task and role (boards without tasks keep their bytes)
        out.update(task=row.task, role=row.role)
    return out


def _commands(board: dict, rows: Sequence[Row]) -> List[dict]:
    out = [{"label": c["label"], "commands": list(c["commands"])} for c in board.get("command", [])]
    for row in rows:  # runs recorded by the tool carry their own commands
        cmds = []
        for e in row.entries:
            c = e.data["provenance"].get("commands")
            if c:
                seed = e.data["run"].get("training_seed")
                cmds += [f"# training seed {seed}" if seed is not None else "# no model (a floor)"]
                cmds += [c[k] for k in ("data", "train", "step0", "sample", "score") if k in c]
        if cmds:
            out.append({"label": row.label, "commands": cmds})
    return out


def _figures(board: dict, rows: List[dict], reported: List[dict], logs: Dict[str, list]) -> Dict[str, bytes]:
    head, ms = board["headline"], board["metrics"]
    out = {}
    if any(any(runs) for runs in logs.values()):  # some run of some row has a training log
        out[f"{head}_vs_step.png"] = figures.curves(rows, logs, head)
    if board.get("paired"):  # one chart per metric, rows grouped by task, each metric's direction said
        for m in board.get("bars", [head]):
            out[f"{m}_bars.png"] = figures.bars(rows, reported, m, higher=direction(board, m), by_task=True)
        return out
    out[f"{head}_bars.png"] = figures.bars(rows, reported, head)
    if not rows:  # nothing reproduced yet: the bars show the reported rows alone
        return out
    if "precision" in ms and "recall" in ms:
        out["precision_recall.png"] = figures.scatter(rows, "recall", "precision")
    elif "high_quality_fraction" in ms:
        out["quality_vs_modes.png"] = figures.scatter(rows, head, "high_quality_fraction")
    return out


def build(records: Optional[list], out: Union[str, os.PathLike], *, write: bool = True) -> Dict[str, bytes]:
    """{file name: bytes} of the board in `out` (records default: `out`/records); written unless `write` is off.
    A build that writes holds the board's lock: a second build at the same time is refused."""
    if not write:
        return _build(records, Path(out), write=False)
    from ..locks import board_folder

    with board_folder(out):
        return _build(records, Path(out), write=True)


def _build(records: Optional[list], out: Path, *, write: bool) -> Dict[str, bytes]:
    board = read_board(out)
    if board.get("kind") == "studies":  # a board of studies (studies.py): curves per setting, not rows
        from . import studies

        files = studies.build_files(board, load_records(records or [out / "records"], kinds=("study",)), out)
        if write:
            _write_all(out, files)
        return files
    entries = load_records(records or [out / "records"])
    want = board.get("protocol", {})
    official, aside = [], []
    for e in entries:
        reason = set_aside_reason(e.data, want)
        if reason is None:
            official.append(e)
        else:
            aside.append({"record": e.name, "label": row_label(e.data), "reason": reason})
    better = direction(board, board.get("sort", board["headline"]))
    rows = group(official)
    for r in rows:
        summarise(r, board["metrics"], board.get("bounds"))
    rows = order(rows, board.get("sort", board["headline"]), better, list(board.get("task", {})))
    row_dicts = [_row_dict(r) for r in rows]
    paired = paired_parts(board, rows) if board.get("paired") else {}
    reported = read_reported(out, board)
    logs = {
        r.label: [e.data["provenance"].get("training_log") or [] for e in sorted(r.entries, key=lambda e: e.name)]
        for r in rows
    }
    figs = _figures(board, row_dicts, reported, logs)
    data = {
        "ganbench_board": 1,
        "title": board["title"],
        "description": board["description"],
        "protocol": want,
        "protocol_text": _protocol_text(board),
        "metrics": board["metrics"],
        "headline": board["headline"],
        "sort": board.get("sort", board["headline"]),
        "rows": row_dicts,
        "set_aside": aside,
        "set_aside_count": len(aside),
        "reported": reported,
        "commands": _commands(board, rows),
        "figures": sorted(figs),
        "figures_made_with": figures_made_with(),
        "records": [{"record": e.name, "sha256": e.sha256} for e in entries],
        "records_dir": "records",
        **({"notes": list(board["notes"])} if board.get("notes") else {}),
        **paired,
    }
    files = {
        "README.md": render.markdown(data).encode(),
        "board.csv": render.csv_text(data).encode(),
        "board.json": render.to_json(data).encode(),
        "board.tex": render.latex(data).encode(),
        "index.html": html.page(data, {k: figs[k] for k in sorted(figs)}).encode(),
        **figs,
    }
    if write:
        _write_all(out, files)
    return files


def paired_parts(board: dict, rows: Sequence[Row]) -> dict:
    """A paired board's extras: its tasks (title, in board order), each metric's direction, the metrics whose
    numbers are not from official weights (LPIPS offline: the record marks each value) and the conventions."""
    tasks = list(dict.fromkeys(list(board.get("task", {})) + [r.task for r in rows if r.task is not None]))
    unofficial = sorted(
        {
            m
            for r in rows
            for e in r.entries
            for m, v in e.data["metrics"].items()
            if m in board["metrics"] and (v.get("extra") or {}).get("official") is False
        }
    )
    # metric -> task -> its conventions (a super-resolution task may score the Y channel, cropped)
    by_task: Dict[str, Dict[Optional[str], Any]] = {}
    for r in rows:
        for e in r.entries:
            for m in board["metrics"]:
                c = ((e.data["metrics"].get(m) or {}).get("extra") or {}).get("conventions")
                if c:
                    by_task.setdefault(m, {}).setdefault(r.task, c)
    conventions = {}
    for m, per in by_task.items():
        if all(c == next(iter(per.values())) for c in per.values()):
            conventions[m] = next(iter(per.values()))
        else:
            conventions.update({f"{m} ({t})": c for t, c in per.items()})
    words = {"higher": "higher is better", "lower": "lower is better", "zero": "closest to 0 is best"}
    return {
        "tasks": [{"name": t, "title": board.get("task", {}).get(t, {}).get("title", t)} for t in tasks],
        "direction": {m: words[direction(board, m)] for m in board["metrics"]},
        "unofficial": unofficial,
        "conventions": conventions,
    }


def figures_made_with() -> str:
    """PNG bytes are stable for one matplotlib release, not across releases (its rasteriser changes)."""
    import matplotlib

    return f"matplotlib {matplotlib.__version__}"


def figure_files(files: Iterable[str]) -> List[str]:
    """The generated files whose bytes come from matplotlib: the PNGs and the page that embeds them."""
    return [n for n in files if n.endswith(".png")] + ["index.html"]


def _write_all(out: Path, files: Dict[str, bytes]) -> None:
    from ..cache import atomic_path

    for name, payload in files.items():
        try:
            with atomic_path(out / name) as tmp:
                tmp.write_bytes(payload)
        except OSError as e:
            raise GanbenchError(
                f"cannot write {out / name}: {e.strerror or e}; pass --out a writable board folder"
            ) from None
