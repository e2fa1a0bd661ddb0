"""A run folder: run.json (what was trained, on what, how), checkpoints/, metrics.jsonl, curves.png."""

from __future__ import annotations

import json
from pathlib import Path

from .. import locks
from ..cache import atomic_path
from ..errors import GanbenchError
from . import options

RUN_FILE = "run.json"
FORMAT = "ganbench-run-1"


def is_run_dir(path) -> bool:
    try:
        return Path(path).is_dir() and (Path(path) / RUN_FILE).is_file()
    except (TypeError, OSError):
        return False


def read(run_dir) -> dict:
    p = Path(run_dir) / RUN_FILE
    if not p.is_file():
        raise GanbenchError(
            f"{run_dir} is not a ganbench run (no {RUN_FILE}): pass a folder written by `ganbench train --out`"
        )
    try:
        run = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise GanbenchError(f"cannot read {p} ({e}); the run folder is damaged") from None
    if run.get("format") != FORMAT:
        raise GanbenchError(f"{p} is not a ganbench run file (format {run.get('format')!r})")
    if isinstance(run.get("config"), dict):  # a run recorded before an option existed has its default
        run["config"] = {**{k: options.OPTIONS[k].default for k in options.LATER}, **run["config"]}
    return run


def write(run_dir, run: dict) -> None:
    with atomic_path(Path(run_dir) / RUN_FILE) as tmp:
        tmp.write_text(json.dumps({**run, "format": FORMAT}, indent=2, sort_keys=True) + "\n")


def check_new(run_dir) -> None:
    d = Path(run_dir)
    if is_run_dir(d):
        raise GanbenchError(f"{d} already holds a run: pass --resume {d} to continue it, or another --out")
    if d.exists() and (not d.is_dir() or any(p.name != locks.NAME for p in d.iterdir())):
        raise GanbenchError(f"--out {d} exists and is not an empty folder: pass a new folder")


def check_writable(run_dir) -> None:
    """The output check every command uses (cache.check_writable), on the run folder's nearest existing
    folder, so that a refused run leaves no folder behind."""
    from ..cache import check_writable as writable

    d = Path(run_dir).expanduser()
    fix = f"pass --out a folder you can write (not {run_dir})"
    existing = d
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise GanbenchError(f"cannot write run folder {d}: {existing} is a file, not a folder; {fix}")
    first_missing = existing / d.relative_to(existing).parts[0] if existing != d else d / RUN_FILE
    writable(first_missing, "run folder", fix)  # probes `existing` with a temporary file, creates nothing


def check_same_config(run_dir, saved: dict, requested: dict) -> None:
    diff = options.differing(saved, requested)
    if diff:
        shown = ", ".join(f"{k} ({saved.get(k)!r} in the run, {requested.get(k)!r} asked)" for k in diff)
        raise GanbenchError(
            f"cannot resume {run_dir} with a different config: {shown}; resume without "
            "changing them, or start a new run with --out"
        )
