"""records -> rows: which records belong in the board's table, which are set aside and why, and the
statistics of each row (mean and 95% interval across training seeds, or the evaluation interval of a
single seed, said so)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from ..errors import GanbenchError

SELECTIONS = {
    "final": "final",
    "last": "final",
    "best-held-out": "best on a held-out split",
    "best": "best on the reference",
}  # `ganbench eval RUN --checkpoint last|best` records last or best


@dataclass
class Entry:
    name: str  # the record's file name: rows and verify refer to it
    sha256: str
    data: dict


@dataclass
class Row:
    label: str
    baseline: str
    protocol: dict
    selection: str
    entries: List[Entry]
    cells: Dict[str, dict] = field(default_factory=dict)  # metric -> {mean, lo, hi, n, interval, per_seed}

    @property
    def seeds(self) -> List[int]:
        return sorted(
            {
                e.data["run"]["training_seed"]
                for e in self.entries
                if (e.data.get("run") or {}).get("training_seed") is not None
            }
        )  # a floor has none

    @property
    def task(self) -> Optional[str]:
        """A paired board's task (colorize, ...): rows of several tasks share a board, grouped by it."""
        return (self.entries[0].data.get("run") or {}).get("task")

    @property
    def role(self) -> Optional[str]:
        """trained, untrained (step 0 of the same baseline and seed) or floor (no model: e.g. the input)."""
        return (self.entries[0].data.get("run") or {}).get("role")

    @property
    def flagged(self) -> bool:
        return self.selection == SELECTIONS["best"]


def load_records(paths: Iterable[Union[str, os.PathLike]], kinds: Sequence[str] = ("eval",)) -> List[Entry]:
    """Every record in `paths` (files, or folders of *.json), in file-name order, each hashed; `kinds`:
    the record kinds the board takes (evaluation records; a studies board's "study" records)."""
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.is_file():
            files.append(p)
        else:
            raise GanbenchError(f"{p}: no such record file or folder; pass evaluation records (ganbench eval --json)")
    out = []
    for f in sorted(files, key=lambda x: x.name):
        raw = f.read_bytes()
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise GanbenchError(
                f"{f} is not JSON ({e}); pass evaluation records written by `ganbench eval --json`"
            ) from None
        if kinds == ("study",):
            if not isinstance(data, dict) or data.get("record_kind") != "study" or "curves" not in data:
                raise GanbenchError(
                    f"{f} is not a study record; a studies board takes the records its runner "
                    f"writes (e.g. leaderboards/pathologies_runs.py)"
                )
        elif not isinstance(data, dict) or data.get("record_kind") != "eval" or "protocol" not in data:
            raise GanbenchError(f"{f} is not an evaluation record (format 2); write it with `ganbench eval --json`")
        out.append(Entry(f.name, hashlib.sha256(raw).hexdigest(), data))
    if len({e.name for e in out}) != len(out):
        raise GanbenchError("two records share a file name: give every record of a board its own name")
    return out


def set_aside_reason(rec: dict, want: dict) -> Optional[str]:
    """Why a record cannot stand in the board's official table (None when it can)."""
    p = rec["protocol"]
    if want.get("weights_official") and p.get("weights_official") is not True:
        return "NOT the official weights: not comparable with published numbers"
    for key, what in (("n_generated", "generated samples"), ("n_reference", "reference images")):
        if key in want and p.get(key) != want[key]:
            return f"{p.get(key)} {what}; the protocol is {want[key]}"
    for key in ("extractor", "resize", "dtype"):
        if key in want and p.get(key) != want[key]:
            return f"{key} {p.get(key)}; the protocol is {want[key]}"
    allowed = want.get("reference")
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if allowed and (p.get("reference") or {}).get("name") not in allowed:
        return f"reference {(p.get('reference') or {}).get('name')}; the protocol is {allowed[0]}"
    data = (rec.get("run") or {}).get("training_data") or {}
    if want.get("full_dataset") and data.get("partial"):
        return "trained on a partial data set"
    return None


def row_label(rec: dict) -> str:
    run = rec.get("run") or {}
    return (
        run.get("setting") or run.get("baseline") or (rec["provenance"].get("samples") or {}).get("path") or "samples"
    )


def _protocol_key(rec: dict) -> str:
    p = dict(rec["protocol"])
    p.pop("metrics", None)
    return json.dumps(p, sort_keys=True)


def group(entries: List[Entry]) -> List[Row]:
    """Rows of records sharing a label, a configuration, a checkpoint selection and a protocol."""
    groups: Dict[tuple, List[Entry]] = {}
    for e in entries:
        run = e.data.get("run") or {}
        key = (
            run.get("task"),
            row_label(e.data),
            run.get("config_hash"),
            run.get("checkpoint_selection", "final"),
            _protocol_key(e.data),
        )
        groups.setdefault(key, []).append(e)
    rows = []
    for (_task, label, _cfg, sel, _p), members in groups.items():
        run = members[0].data.get("run") or {}
        rows.append(Row(label, run.get("baseline", ""), members[0].data["protocol"], SELECTIONS.get(sel, sel), members))
    return rows


def summarise(row: Row, metrics: List[str], bounds: Optional[dict] = None) -> None:
    """Mean and 95% t-interval across training seeds, clipped to the metric's range (`bounds`: a count
    of modes is never negative); one seed: its evaluation interval."""
    from scipy import stats

    by_seed: Dict[int, List[Entry]] = {}
    for e in row.entries:
        seed = (e.data.get("run") or {}).get("training_seed", 0)
        by_seed.setdefault(seed, []).append(e)
    for m in metrics:
        vals = [(s, by_seed[s][0].data["metrics"].get(m)) for s in sorted(by_seed)]
        have = [(s, v) for s, v in vals if v is not None]
        cell = {"n": len(have), "of": len(vals), "per_seed": {str(s): v["value"] for s, v in have}}
        if not have:
            cell.update(mean=None, lo=None, hi=None, interval="undefined")
        elif len(have) == 1:
            v = have[0][1]
            lo, hi = v["ci"] if v.get("ci") else (None, None)
            cell.update(
                mean=v["value"],
                lo=lo,
                hi=hi,
                interval="evaluation (1 training seed)"
                if row.seeds or row.role != "floor"
                else "evaluation (a floor: no model, no training seed)",
            )
        else:
            x = np.array([v["value"] for _s, v in have], np.float64)
            half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
            cell.update(
                mean=float(x.mean()),
                lo=float(x.mean() - half),
                hi=float(x.mean() + half),
                interval=f"across {len(x)} training seeds (t, 95%)",
            )
        lo_b, hi_b = (bounds or {}).get(m, (None, None))
        if cell["lo"] is not None and lo_b is not None:
            cell["lo"], cell["hi"] = max(cell["lo"], lo_b), min(cell["hi"], hi_b)
        row.cells[m] = cell


def order(rows: List[Row], metric: str, better: Union[str, bool], tasks: Optional[List[str]] = None) -> List[Row]:
    """Best `metric` first; rows with a task grouped by it first (in `tasks`' order, then by name).
    `better`: "lower", "higher" or "zero" (definition.direction); True / False for higher / lower."""
    from ..metrics.base import badness

    tasks = list(tasks or [])
    way = ("higher" if better else "lower") if isinstance(better, bool) else better

    def key(r: Row) -> tuple:
        mean = r.cells.get(metric, {}).get("mean")
        t = r.task
        place = (0, "") if t is None else ((1, f"{tasks.index(t):06d}") if t in tasks else (2, t))
        return (place, mean is None, float(badness(way, mean or 0.0)), r.label)

    return sorted(rows, key=key)
