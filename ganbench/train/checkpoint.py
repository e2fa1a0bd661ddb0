"""Checkpoints: one safetensors file per saved step (G, D, EMA, both optimisers' tensors), with the
config, step, optimiser hyper-parameters and RNG state as JSON in its metadata. Written atomically
(a temporary file renamed into place), so a kill at any moment leaves the previous checkpoint whole;
loaded without executing code (safetensors holds tensors only)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

from ..cache import _umask, atomic_path, free_bytes
from ..errors import GanbenchError

FORMAT = "ganbench-checkpoint-1"
NAME = re.compile(r"^step-(\d{8})\.safetensors$")


def path_for(run_dir, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step-{step:08d}.safetensors"


def list_steps(run_dir) -> List[int]:
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := NAME.match(p.name)))


def _flat_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict) -> dict:
    sd = opt.state_dict()
    for pid, state in sd["state"].items():
        for k, v in state.items():
            tensors[f"{prefix}.{pid}.{k}"] = v.detach().clone().contiguous() if torch.is_tensor(v) else torch.tensor(v)
    return {"param_groups": sd["param_groups"]}


def _unflat_optimizer(prefix: str, meta: dict, tensors: dict) -> dict:
    state: Dict[int, dict] = {}
    for name, v in tensors.items():
        if name.startswith(prefix + "."):
            pid, k = name[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(pid), {})[k] = v
    return {"state": state, "param_groups": meta["param_groups"]}


def _module_tensors(prefix: str, module: torch.nn.Module, tensors: dict) -> None:
    for k, v in module.state_dict().items():
        tensors[f"{prefix}.{k}"] = v.detach().to("cpu").clone().contiguous()


def save(run_dir, step: int, modules: dict, optimizers: dict, meta: dict) -> Path:
    from safetensors import SafetensorError
    from safetensors.torch import save_file

    tensors: Dict[str, torch.Tensor] = {}
    for prefix, m in modules.items():
        _module_tensors(prefix, m, tensors)
    opt_meta = {p: _flat_optimizer(p, o, tensors) for p, o in optimizers.items()}
    full = {**meta, "format": FORMAT, "step": step, "optimizers": opt_meta}
    dest = path_for(run_dir, step)
    header = json.dumps(full, sort_keys=True)
    # safetensors: the tensors' bytes plus a JSON header (~100 bytes a tensor) and our metadata
    needed = sum(t.numel() * t.element_size() for t in tensors.values()) + 128 * len(tensors) + len(header) + 4096
    free = free_bytes(run_dir)
    try:
        if free is not None and free < needed:  # cheap, and it keeps a doomed write from starting
            raise OSError(errno.ENOSPC, "No space left on device")
        with atomic_path(dest) as tmp:
            try:
                save_file(tensors, str(tmp), metadata={"ganbench": header})
            except SafetensorError as e:  # safetensors words an OS error as its own
                raise OSError(errno.ENOSPC if "No space left" in str(e) else errno.EIO, str(e)) from None
            os.chmod(tmp, 0o666 & ~_umask())  # save_file makes a new file, 0600: follow the umask like every other file
    except OSError as e:
        last = list_steps(run_dir)
        keep = f"the last good checkpoint is step {last[-1]}" if last else "no checkpoint was written"
        if free is None or free >= needed:  # the write itself failed: how much is left now
            free = free_bytes(run_dir)
        why = (
            f"the disk is full ({needed:,} bytes needed, {'?' if free is None else f'{free:,}'} free)"
            if e.errno == errno.ENOSPC
            else (e.strerror or str(e))
        )
        raise GanbenchError(
            f"cannot write checkpoint {dest}: {why}; {keep}; free space or pass another --out, then --resume"
        ) from None
    return dest


def load(path) -> Tuple[Dict[str, torch.Tensor], dict]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get("ganbench")
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise GanbenchError(
            f"cannot read checkpoint {path} ({e}); it is not a whole ganbench checkpoint: "
            "delete it to resume from the one before"
        ) from None
    meta = json.loads(raw) if raw else {}
    if meta.get("format") != FORMAT:
        raise GanbenchError(
            f"{path} is not a ganbench checkpoint (format {meta.get('format')!r}); "
            f"pass a run folder written by `ganbench train`"
        )
    return tensors, meta


def restore(tensors: dict, meta: dict, modules: dict, optimizers: dict) -> None:
    for prefix, m in modules.items():
        sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        if sd:
            m.load_state_dict(sd)
    for prefix, o in optimizers.items():
        o.load_state_dict(_unflat_optimizer(prefix, meta["optimizers"][prefix], tensors))


def module_state(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pick(run_dir, which: str = "last") -> Tuple[int, Path, str]:
    """(step, path, how chosen) for `last`, `best` (lowest eval FID, else the last) or a step number."""
    steps = list_steps(run_dir)
    if not steps:
        raise GanbenchError(f"{run_dir} has no checkpoints yet: train it (`ganbench train ... --out {run_dir}`)")
    which = str(which)
    if which == "last":
        return steps[-1], path_for(run_dir, steps[-1]), "last"
    if which == "best":
        best = _best_step(run_dir, steps)
        if best is None:
            return steps[-1], path_for(run_dir, steps[-1]), "last (no eval scores to pick a best by)"
        return best[0], path_for(run_dir, best[0]), f"best {best[1]} ({best[2]:.6g}) among checkpointed evals"
    if not which.isdigit() or int(which) not in steps:
        raise GanbenchError(
            f"{run_dir} has no checkpoint at step {which}: it has {', '.join(map(str, steps))} (or pass last / best)"
        )
    return int(which), path_for(run_dir, int(which)), f"step {int(which)}"


def _best_step(run_dir, steps) -> Optional[tuple]:
    log = Path(run_dir) / "metrics.jsonl"
    if not log.is_file():
        return None
    from .monitor import read_log

    best = None
    for _line, rec in read_log(log):
        if rec.get("kind") != "eval" or rec.get("step") not in steps:
            continue
        key = (
            "fid"
            if "fid" in rec
            else ("reverse_kl" if "reverse_kl" in rec else ("kl_to_uniform" if "kl_to_uniform" in rec else None))
        )
        if key is not None and rec[key] is not None and (best is None or rec[key] < best[2]):
            best = (rec["step"], key, rec[key])
    return best
