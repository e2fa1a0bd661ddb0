"""A board's definition: `leaderboards/NAME/board.toml` (metrics, sort order, reported rows, and for the
toy boards the recipe of their runs)."""

from __future__ import annotations

import sys
from pathlib import Path

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
        raise GanbenchError(f"cannot read {what} {path}: {e.strerror}; pass a board folder holding board.toml") from None
    except tomllib.TOMLDecodeError as e:
        raise GanbenchError(f"{what} {path} is not valid TOML ({e}); fix the file") from None


def read_board(board_dir) -> dict:
    board_dir = Path(board_dir)
    if not (board_dir / "board.toml").is_file():
        raise GanbenchError(f"{board_dir} has no board.toml: a board folder holds its definition (title, description, "
                            f"metrics, headline; see leaderboards/ring/board.toml)")
    board = read_toml(board_dir / "board.toml", "board definition")
    missing = [k for k in ("title", "description", "metrics", "headline") if k not in board]
    if missing:
        raise GanbenchError(f"{board_dir}/board.toml lacks {', '.join(missing)}; see leaderboards/ring/board.toml")
    return board


REPORTED_KEYS = ("label", "metrics", "protocol", "citation")


def read_reported(board_dir, board: dict) -> list:
    """The reported rows (`reported.toml`: [[row]] label, kind, metrics, protocol, citation, conditional),
    in file order; each must name its source."""
    name = board.get("reported")
    if not name:
        return []
    path = Path(board_dir) / name
    rows = read_toml(path, "reported rows").get("row", [])
    out = []
    for i, r in enumerate(rows, 1):
        missing = [k for k in REPORTED_KEYS if k not in r]
        if missing:
            raise GanbenchError(f"{path}: row {i} lacks {', '.join(missing)}; every reported number needs its "
                                f"protocol and citation")
        out.append({"label": r["label"], "kind": r.get("kind", "reported"), "metrics": dict(r["metrics"]),
                    "protocol": r["protocol"], "citation": r["citation"], "conditional": bool(r.get("conditional")),
                    "checked": r.get("checked", "")})
    return out
