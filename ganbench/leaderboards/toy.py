"""The toy boards' runs: a board's [recipe] x [[setting]]s x seeds -> run folders -> one record each.

A toy record is an evaluation record (format 2) whose metrics are the benchmark's mode metrics
(toydata.score) of `sample_n` seeded samples of the run's final checkpoint; the samples are kept
beside it (`.npz`), named in the record by content hash, so `leaderboard verify` can score them again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import List

from ..errors import GanbenchError
from .definition import read_board


def setting_id(setting: dict) -> str:
    """A stable, readable file name for a setting: its baseline and its --set pairs."""
    parts = [setting["baseline"]] + [f"{k}-{v}" for k, v in sorted(setting.get("set", {}).items())]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "_".join(parts).lower())


def train_command(board: dict, setting: dict, seed: int, out: str) -> str:
    r = board["recipe"]
    sets = " ".join(f"--set {k}={_text(v)}" for k, v in sorted(setting.get("set", {}).items()))
    return (f"ganbench train {setting['baseline']} --data {board['benchmark']} --steps {r['steps']} --seed {seed} "
            f"{sets + ' ' if sets else ''}--eval-every {r['eval_every']} --eval-n {r['eval_n']} "
            f"--checkpoint-every {r['steps']} --out {shlex.quote(out)}")


def _text(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def plan(board_dir: Path, runs_root: Path) -> List[dict]:
    board = read_board(board_dir)
    if "recipe" not in board or "setting" not in board:
        raise GanbenchError(f"{board_dir}/board.toml has no [recipe] and [[setting]]s: it is not a toy board")
    items = []
    for setting in board["setting"]:
        for seed in board["recipe"]["seeds"]:
            name = f"{setting_id(setting)}-s{seed}"
            items.append({"board": board, "setting": setting, "seed": int(seed), "name": name,
                          "run_dir": Path(runs_root) / board["benchmark"] / name})
    return items


def finished(item: dict) -> bool:
    from ..train import checkpoint

    steps = checkpoint.list_steps(item["run_dir"]) if item["run_dir"].is_dir() else []
    return bool(steps) and steps[-1] >= item["board"]["recipe"]["steps"]


def train_run(item: dict) -> None:
    import shutil

    from ..train.session import train

    if item["run_dir"].exists():  # an interrupted run: start it again, the seed makes it the same
        shutil.rmtree(item["run_dir"])
    r, s = item["board"]["recipe"], item["setting"]
    train(s["baseline"], out=item["run_dir"], data=item["board"]["benchmark"], steps=r["steps"], seed=item["seed"],
          set={k: _text(v) for k, v in s.get("set", {}).items()}, eval_every=r["eval_every"], eval_n=r["eval_n"],
          checkpoint_every=r["steps"], progress=False)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())
