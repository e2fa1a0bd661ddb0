"""What every diagnose output shares: the report folder check and the diagnostics.json header."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..errors import GanbenchError
from ..version import __version__


def check_out_dir(out_dir) -> Optional[Path]:
    """The report folder, refused before any work when it cannot be written."""
    from ..cache import check_writable

    if out_dir is None:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GanbenchError(f"{out} exists and is not a folder: give --out a folder for the report")
    check_writable(out / "index.html", "the report into", "give --out a writable folder")
    return out


def header(device) -> dict:
    """What every diagnostics.json starts with: its layout version, and when/how/with what it was made."""
    from ..records import RECORD_FORMAT, environment

    return {
        "ganbench_record": RECORD_FORMAT,
        "record_kind": "diagnose",
        "ganbench_version": __version__,
        "environment": environment(device if device is not None else "cpu"),
    }
