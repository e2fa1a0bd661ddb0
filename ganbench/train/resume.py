"""What a run keeps beside its config so that `--resume` continues it as it was started: every option
of `ganbench train` (checkpointing, evaluation, data reading, precision), stored in run.json under
`options`; and the rules for resuming a run that never checkpointed, or that is complete.

An option given again on resume replaces the stored one when it changes no trained number
(checkpointing, evaluation, device); the ones that do (data reading, precision) must match."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from ..errors import GanbenchError

DEFAULTS = {
    "checkpoint_every": 1000,
    "checkpoint_minutes": 5.0,
    "eval_every": 0,
    "eval_n": 1000,
    "weights": None,
    "device": None,
    "key": None,
    "labels": None,
    "resize": False,
    "amp": None,
    "compile": False,
    "grad_every": 100,
}  # per-layer gradient norms: at 100, <= 1,000 log lines for 100k steps, ~no time
FIXED = ("key", "labels", "resize", "amp")  # they change the numbers: a resumed run keeps them
PATHS = ("weights", "labels")


def _absolute(name: str, value):
    """A file option as an absolute path, so the run resumes from any working folder."""
    if name in PATHS and isinstance(value, (str, Path)) and Path(value).expanduser().is_file():
        return str(Path(value).expanduser().resolve())
    return value


def start(given: dict) -> dict:
    """The options of a new run: the given ones (None: not given) over the defaults."""
    return {k: _absolute(k, given[k] if given.get(k) is not None else d) for k, d in DEFAULTS.items()}


def restore(run: dict, given: dict, run_dir) -> dict:
    """The options of a resumed run: the stored ones, with the given ones (None: not given) over them."""
    stored = {**DEFAULTS, "amp": run.get("amp"), "compile": bool(run.get("compile", False)), **run.get("options", {})}
    out = dict(stored)
    for k, v in given.items():
        if v is None or k not in DEFAULTS:
            continue
        v = _absolute(k, v)
        if k in FIXED and v != stored[k]:
            flag = "--" + k.replace("_", "-")
            raise GanbenchError(
                f"cannot resume {run_dir} with {flag} {v!r}: it was started with {stored[k]!r}, and "
                f"that changes the trained numbers; resume without {flag}, or start a new run with "
                f"--out"
            )
        out[k] = v
    return out


def extend(run_dir, cfg: dict, steps: int, done: int) -> dict:
    """The config with `steps` raised to continue a run past its planned end, where nothing trained so
    far depends on the old end (a linear learning-rate decay and annealed instance noise do)."""
    if steps == cfg["steps"]:
        return cfg
    if steps < done:
        raise GanbenchError(f"--steps {steps}: {run_dir} has already trained {done} steps; pass --steps > {done}")
    tied = []
    if cfg["lr_schedule"] == "linear":
        tied.append(f"its learning rate decays linearly to 0 at step {cfg['steps']} (lr_schedule=linear)")
    if cfg["lr_schedule"] == "step":
        tied.append(f"its learning rate drops at {cfg['lr_decay_start']} x {cfg['steps']} steps (lr_schedule=step)")
    if cfg["instance_noise"]:
        tied.append(f"its instance noise anneals to 0 at step {cfg['steps']}")
    if tied:
        raise GanbenchError(
            f"cannot change the steps of {run_dir} to {steps}: {' and '.join(tied)}, so every step "
            f"so far was trained for a run of {cfg['steps']}; start a new run with --steps {steps}"
        )
    return {**cfg, "steps": int(steps)}


def note(message: str, enabled: bool = True) -> None:
    if enabled:
        print(f"ganbench: note: {message}", file=sys.stderr)


def keep_history(run_dir) -> Optional[Path]:
    """A run resumed without a checkpoint trains again from step 0: its earlier log is moved aside
    (metrics.before-restart-K.jsonl), not truncated."""
    log = Path(run_dir) / "metrics.jsonl"
    if not log.is_file():
        return None
    k = 1
    while (Path(run_dir) / f"metrics.before-restart-{k}.jsonl").exists():
        k += 1
    dest = Path(run_dir) / f"metrics.before-restart-{k}.jsonl"
    log.rename(dest)
    return dest
