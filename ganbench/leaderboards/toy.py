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

import numpy as np

from ..errors import GanbenchError
from .definition import read_board

OWN = ("steps", "eval_every")  # what a [[setting]] may set for itself (a source's training length)


def recipe_for(board: dict, setting: dict) -> dict:
    """The board's [recipe] with the setting's own `steps` / `eval_every`, where it has them."""
    return {**board["recipe"], **{k: setting[k] for k in OWN if k in setting}}


def setting_id(setting: dict) -> str:
    """A stable, readable file name for a setting: its baseline, its own length and its --set pairs."""
    own = [f"steps-{setting['steps']}"] if "steps" in setting else []
    parts = [setting["baseline"]] + own + [f"{k}-{v}" for k, v in sorted(setting.get("set", {}).items())]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "_".join(parts).lower())


def train_command(board: dict, setting: dict, seed: int, out: str) -> str:
    r = recipe_for(board, setting)
    sets = " ".join(f"--set {k}={_text(v)}" for k, v in sorted(setting.get("set", {}).items()))
    return (
        f"ganbench train {setting['baseline']} --data {board['benchmark']} --steps {r['steps']} --seed {seed} "
        f"{sets + ' ' if sets else ''}--eval-every {r['eval_every']} --eval-n {r['eval_n']} "
        f"--checkpoint-every {r['steps']} --out {shlex.quote(out)}"
    )


def _text(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def plan(board_dir: Path, runs_root: Path) -> List[dict]:
    board = read_board(board_dir)
    if "recipe" not in board or "setting" not in board:
        raise GanbenchError(f"{board_dir}/board.toml has no [recipe] and [[setting]]s: it is not a toy board")
    items = []
    for setting in board["setting"]:
        for seed in board["recipe"]["seeds"]:
            name = f"{setting_id(setting)}-s{seed}"
            items.append(
                {
                    "board": board,
                    "setting": setting,
                    "seed": int(seed),
                    "name": name,
                    "run_dir": Path(runs_root) / board["benchmark"] / name,
                }
            )
    return items


def finished(item: dict) -> bool:
    from ..train import checkpoint

    steps = checkpoint.list_steps(item["run_dir"]) if item["run_dir"].is_dir() else []
    return bool(steps) and steps[-1] >= recipe_for(item["board"], item["setting"])["steps"]


def train_run(item: dict) -> None:
    import shutil

    from ..train.session import train

    if item["run_dir"].exists():  # an interrupted run: start it again, the seed makes it the same
        shutil.rmtree(item["run_dir"])
    s = item["setting"]
    r = recipe_for(item["board"], s)
    train(
        s["baseline"],
        out=item["run_dir"],
        data=item["board"]["benchmark"],
        steps=r["steps"],
        seed=item["seed"],
        set={k: _text(v) for k, v in s.get("set", {}).items()},
        eval_every=r["eval_every"],
        eval_n=r["eval_n"],
        checkpoint_every=r["steps"],
        progress=False,
    )


def _array_sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def write_record(item: dict, records_dir: Path) -> Path:
    """Sample the run's final checkpoint, score it (with evaluation intervals), and write
    `NAME.samples.npz` and `NAME.json` (an evaluation record) into `records_dir`."""
    from .. import cache
    from ..records import RECORD_FORMAT, environment
    from ..train import runs
    from ..train.checkpoint import list_steps, path_for
    from ..train.monitor import read_log
    from ..train.sampling import sample
    from .toyscore import with_intervals

    board, r, run_dir = item["board"], item["board"]["recipe"], item["run_dir"]
    bench = board["benchmark"]
    records_dir.mkdir(parents=True, exist_ok=True)
    samples, info = sample(run_dir, r["sample_n"], seed=r["sample_seed"], checkpoint="last", progress=False)
    spath = records_dir / f"{item['name']}.samples.npz"
    with cache.atomic_path(spath) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, samples=samples)
    metrics = with_intervals(bench, samples)
    run = runs.read(run_dir)
    warnings = [
        f"{k} is undefined on these samples (no high-quality sample)" for k in board["metrics"] if k not in metrics
    ]
    step = list_steps(run_dir)[-1]
    log = [
        {k: v for k, v in row.items() if k != "kind"}
        for _line, row in read_log(run_dir / "metrics.jsonl")
        if row.get("kind") == "eval"
    ]
    commands = {
        "train": train_command(board, item["setting"], item["seed"], f"runs/{item['name']}"),
        "sample": f"ganbench sample runs/{item['name']} -n {r['sample_n']} --seed {r['sample_seed']} -o {spath.name}",
        "score": f"python -m ganbench.leaderboards.toyscore {bench} {spath.name}",
    }
    protocol = {
        "n_generated": int(len(samples)),
        "n_reference": None,
        "reference": {"name": f"{bench} (the benchmark's own scorer)", "content_sha256": None, "file_sha256": None},
        "extractor": f"toy:{bench}",
        "weights_sha256": None,
        "weights_official": None,
        "resize": "none",
        "dtype": "float64",
        "metrics": list(metrics),
        "options": {"hq_sigmas": 3.0} if bench != "stacked-digits" else {},
    }
    record = {
        "ganbench_record": RECORD_FORMAT,
        "record_kind": "eval",
        "metrics": {
            k: {
                "value": v["value"],
                "std": None,
                "std_of": None,
                "ci": v["ci"],
                "ci_method": v["ci_method"],
                "extra": {},
            }
            for k, v in metrics.items()
        },
        "protocol": protocol,
        "run": {
            "baseline": run["baseline"],
            "config_hash": run["config_hash"],
            "step": int(step),
            "training_seed": int(run["seed"]),
            "sampling_seed": int(r["sample_seed"]),
            "checkpoint_sha256": cache.file_digest(path_for(run_dir, step)),
            "ema": bool(info.get("ema")),
            "checkpoint_selection": "final",
            "n": int(len(samples)),
            "setting": item["setting"]["label"],
            "set": {k: _text(v) for k, v in sorted(item["setting"].get("set", {}).items())},
        },
        "warnings": warnings,
        "provenance": {
            **environment("cpu"),
            "weights": {"path": None, "sha256": None, "official": None},
            "extractor": f"toy:{bench}",
            "resize": "none",
            "dtype": "float64",
            "batch_size": None,
            "metrics": list(metrics),
            "options": protocol["options"],
            "seeds": {"sampling": int(r["sample_seed"]), "bootstrap": 0},
            "samples": {
                "count": int(len(samples)),
                "path": spath.name,
                "file_sha256": cache.file_digest(spath),
                "content_sha256": _array_sha(samples),
            },
            "reference": {"name": bench, "count": None},
            "seconds": {},
            "commands": commands,
            "training_log": log,
        },
    }
    path = records_dir / f"{item['name']}.json"
    with cache.atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path
