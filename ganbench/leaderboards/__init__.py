"""records -> leaderboards: compile evaluation records into reproducible boards (README, CSV, JSON, LaTeX,
HTML, figures) and verify that a committed board still holds.

    import ganbench.leaderboards as lb
    df = lb.load("leaderboards/ring")      # a pandas DataFrame: one row per reproduced/reported/set-aside row
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

if TYPE_CHECKING:
    import pandas as pd

    from .verify import Verdict


def build(records: Optional[list], out: Union[str, os.PathLike], **kw: Any) -> Dict[str, bytes]:
    """See `ganbench.leaderboards.build.build`."""
    from .build import build as _build

    return _build(records, out, **kw)


def verify(board_dir: Union[str, os.PathLike]) -> Verdict:
    """See `ganbench.leaderboards.verify.verify`."""
    from .verify import verify as _verify

    return _verify(board_dir)


def load(board: Union[str, os.PathLike]) -> pd.DataFrame:
    """A board (its folder or board.json) as a pandas DataFrame: kind (reproduced, reported, set-aside),
    label, seeds, checkpoint selection, each metric's value, interval bounds and what the interval is,
    the protocol of the row and its records."""
    import pandas as pd

    from ..errors import GanbenchError

    path = Path(board)
    path = path / "board.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise GanbenchError(f"cannot read board {path}: {e}; build it with `ganbench leaderboard build`") from None
    if data.get("kind") == "studies":  # one row per study, setting and curve: its summary
        return pd.DataFrame(
            [{"kind": "study", "study": st["name"], **r} for st in data["studies"] for r in st["summary"]]
        )
    rows = []
    for r in data["rows"]:
        row = {
            "kind": "reproduced",
            "label": r["label"],
            "baseline": r["baseline"],
            "seeds": len(r["seeds"]),
            "checkpoint": r["selection"],
            "selected_on_reference": r["flagged"],
            "protocol": r["protocol"],
            "records": [e["record"] for e in r["records"]],
            "reason": None,
            **({"task": r["task"], "role": r["role"]} if "task" in r else {}),
        }  # a paired board's row
        for m in data["metrics"]:
            c = r["cells"].get(m) or {}
            row.update(
                {m: c.get("mean"), f"{m}_lo": c.get("lo"), f"{m}_hi": c.get("hi"), f"{m}_interval": c.get("interval")}
            )
        rows.append(row)
    for r in data["reported"]:
        row = {
            "kind": "reported",
            "label": r["label"],
            "protocol": r["protocol"],
            "citation": r["citation"],
            **{k: r.get(k) for k in ("n_generated", "n_real", "split", "inception", "loss", "group", "checked")},
        }
        row.update({m: r["metrics"].get(m) for m in data["metrics"]})
        rows.append(row)
    for s in data["set_aside"]:
        rows.append({"kind": "set-aside", "label": s["label"], "records": [s["record"]], "reason": s["reason"]})
    return pd.DataFrame(rows)
