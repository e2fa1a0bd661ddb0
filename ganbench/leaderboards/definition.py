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
    board = read_toml(board_dir / "board.toml", "board definition")
    board["dir"] = board_dir
    return board
