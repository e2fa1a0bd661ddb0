"""The baselines' definitions: one TOML file per baseline in the top-level `baselines/` folder.

A file holds `name`, `description`, `[train]` (the architecture and every hyper-parameter, checked
against `ganbench.train.options`), `[source]` (the paper and the implementation it follows, with the
parameter counts that implementation gives) and `[[reported]]` rows (the numbers its source reports,
with the protocol they were measured under). `GANBENCH_BASELINES` points at another folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List

from ..errors import GanbenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REQUIRED = ("name", "description", "train", "source")


def baselines_dir() -> Path:
    """GANBENCH_BASELINES, else the checkout's top-level baselines/ (the configs' home), else the copy a
    wheel ships inside the package (setup.py puts it in ganbench/baselines/configs/)."""
    env = os.environ.get("GANBENCH_BASELINES")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "baselines"
    packaged = Path(__file__).resolve().parent / "configs"
    return checkout if checkout.is_dir() or not packaged.is_dir() else packaged


def read_toml(path) -> dict:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise GanbenchError(f"cannot read baseline file {path}: {e.strerror}; pass a readable .toml file") from None
    except tomllib.TOMLDecodeError as e:
        raise GanbenchError(f"baseline file {path} is not valid TOML ({e}); fix the file") from None
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise GanbenchError(f"baseline file {path} lacks {', '.join(missing)}; see baselines/README.md")
    if not isinstance(data["train"], dict) or "arch" not in data["train"]:
        raise GanbenchError(f"baseline file {path}: [train] must name its arch; see baselines/README.md")
    data["file"] = str(path)
    return data


class _Baselines:
    """Registry-like view of the folder, read on first use (a `Registry` needs its entries up front)."""

    kind = "baseline"

    def _load(self) -> Dict[str, dict]:
        folder = baselines_dir()
        if not folder.is_dir():
            raise GanbenchError(
                f"no baselines folder at {folder}: set GANBENCH_BASELINES to ganbench's "
                "baselines/ folder, or pass a .toml file"
            )
        out = {}
        for p in sorted(folder.glob("*.toml")):
            d = read_toml(p)
            out[d["name"]] = d
        return out

    def names(self) -> List[str]:
        return sorted(self._load())

    def items(self):
        return sorted(self._load().items())

    def __contains__(self, name: str) -> bool:
        return name in self._load()

    def get(self, name: str) -> dict:
        items = self._load()
        if name not in items:
            raise GanbenchError(
                f"unknown baseline {name!r}: known baselines are {', '.join(sorted(items))} (or pass a .toml file)"
            )
        return items[name]


BASELINES = _Baselines()


def baseline_config(name_or_path) -> dict:
    """A baseline's definition, by registered name or by the path of a TOML file."""
    p = Path(str(name_or_path))
    if p.suffix == ".toml":
        if not p.is_file():
            raise GanbenchError(f"baseline file {p}: no such file; pass an existing .toml or a baseline name")
        return read_toml(p)
    return BASELINES.get(str(name_or_path))
