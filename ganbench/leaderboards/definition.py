"""A board's definition: `leaderboards/NAME/board.toml` (metrics, sort order, reported rows, and for the
toy boards the recipe of their runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple, Union

from ..errors import GanbenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: Path, what: str) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise GanbenchError(
            f"cannot read {what} {path}: {e.strerror}; pass a board folder holding board.toml"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise GanbenchError(f"{what} {path} is not valid TOML ({e}); fix the file") from None


def read_board(board_dir: Union[str, os.PathLike]) -> dict:
    board_dir = Path(board_dir)
    if not (board_dir / "board.toml").is_file():
        raise GanbenchError(
            f"{board_dir} has no board.toml: a board folder holds its definition (title, description, "
            f"metrics, headline; see leaderboards/ring/board.toml)"
        )
    board = read_toml(board_dir / "board.toml", "board definition")
    need = ("title", "description") + (() if board.get("kind") == "studies" else ("metrics", "headline"))
    missing = [k for k in need if k not in board]
    if missing:
        raise GanbenchError(f"{board_dir}/board.toml lacks {', '.join(missing)}; see leaderboards/ring/board.toml")
    return board


REPORTED_KEYS = ("label", "metrics", "protocol", "citation", "checked")
# the protocol, one field each, so rows sort within a protocol group: an int, or words ("not stated", "n/a")
PROTOCOL_KEYS = ("n_generated", "n_real", "split", "inception")


def protocol_group(row: dict) -> str:
    """The fields a number's comparability rests on, as one label (rows compare only within a group)."""
    return " / ".join(f"{row[k]}" for k in PROTOCOL_KEYS)


def read_reported(board_dir: Union[str, os.PathLike], board: dict) -> list:
    """The reported rows (`reported.toml`: [[row]] label, kind, metrics, n_generated, n_real, split,
    inception, loss (where the source has several), protocol (notes), citation, checked, conditional),
    each naming its source, its protocol and how it was checked; sorted within protocol groups."""
    name = board.get("reported")
    if not name:
        return []
    path = Path(board_dir) / name
    rows = read_toml(path, "reported rows").get("row", [])
    out = []
    for i, r in enumerate(rows, 1):
        missing = [k for k in REPORTED_KEYS + PROTOCOL_KEYS if k not in r or r[k] in ("", None)]
        if missing:
            raise GanbenchError(
                f"{path}: row {i} ({r.get('label', 'no label')}) lacks {', '.join(missing)}; every "
                f"reported number needs its protocol ({', '.join(PROTOCOL_KEYS)}), citation and checked"
            )
        out.append(
            {
                "label": r["label"],
                "kind": r.get("kind", "reported"),
                "metrics": dict(r["metrics"]),
                **{k: r[k] for k in PROTOCOL_KEYS},
                "loss": r.get("loss", ""),
                "group": protocol_group(r),
                "protocol": r["protocol"],
                "citation": r["citation"],
                "conditional": bool(r.get("conditional")),
                "checked": r["checked"],
            }
        )
    return sort_reported(out, board.get("sort", board.get("headline")), board)


def direction(board: dict, metric: Optional[str]) -> str:
    """Which way `metric` is better on this board: "higher" (listed in higher_is_better), "zero" (listed
    in zero_is_best), else the registered metric's own `better` (ganbench.metrics), else "lower"."""
    if metric in board.get("higher_is_better", []):
        return "higher"
    if metric in board.get("zero_is_best", []):
        return "zero"
    from ..metrics import METRICS

    return METRICS.get(metric).better if metric is not None and metric in METRICS else "lower"


def sort_reported(rows: list, metric: Optional[str], board: Union[dict, Iterable[str]]) -> list:
    """Groups in the order they first appear; within a group, best `metric` first, rows without it last.
    `board`: the board definition, or only its higher_is_better list."""
    from ..metrics.base import badness

    first: Dict[str, int] = {}
    for r in rows:
        first.setdefault(r["group"], len(first))
    better = direction(board if isinstance(board, dict) else {"higher_is_better": list(board)}, metric)

    def key(ir: Tuple[int, dict]) -> tuple:
        i, r = ir
        v = r["metrics"].get(metric)
        return (first[r["group"]], v is None, float(badness(better, v)) if v is not None else 0.0, i)

    return [r for _i, r in sorted(enumerate(rows), key=key)]
