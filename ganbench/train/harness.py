"""What `train()` (session.py) sets up around its loop: the process group, the determinism it can
promise, the run folder's lock and signal handling (`guarded`), the augmentation, and the generator the
sample grid is drawn from."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Tuple

import torch

from .. import distributed, locks
from . import runs, signals
from .loop import Trainer


def init_distributed(device: torch.device) -> tuple:
    if not distributed.is_enabled():
        return 1, 0
    import torch.distributed as dist

    if not dist.is_initialized():
        distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    distributed.init()
    return dist.get_world_size(), dist.get_rank()


def determinism(device: torch.device) -> str:
    if device.type == "cpu":
        return f"bitwise on CPU for the same seed, torch build and thread count ({torch.get_num_threads()} threads)"
    return (
        "CUDA: seeded and counter-based, but cuDNN kernels and atomics are not bitwise reproducible; "
        "expect run-to-run differences at float precision"
    )


def guarded(train_fn):
    """Around `train`: the run folder is locked (rank 0) and SIGINT/SIGTERM/SIGUSR1 stop it after a
    checkpoint (signals.py). A group restarted by `torchrun --max-restarts` finds its own run in --out
    and resumes it from the last checkpoint."""

    @functools.wraps(train_fn)
    def wrapper(baseline=None, *, out=None, resume=None, **kw):
        restarted = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") or 0) > 0
        if resume is None and out is not None and restarted and runs.is_run_dir(out):
            resume = out
        run_dir = resume if resume is not None else out
        lock = contextlib.nullcontext()
        if run_dir is not None and distributed.is_main():
            if resume is None:
                runs.check_new(out)  # before the lock file makes the folder
            runs.check_writable(run_dir)  # one line, before the lock file is written there
            lock = locks.run_folder(run_dir)
        with lock, signals.catch():
            return train_fn(baseline, out=out, resume=resume, **kw)

    return wrapper


def augmentation(cfg: dict, seed: int):
    """The augmentation object of `cfg["augment"]` (None for "none"); see context.StepContext.augment."""
    if cfg["augment"] == "none":
        return None
    from .augment import make  # train/augment/: DiffAugment, ADA

    return make(cfg, seed)


def eval_generator(trainer: Trainer, cfg: dict, tdata) -> Tuple[torch.nn.Module, dict]:
    nets = trainer.nets
    G = nets.G_ema if nets.G_ema is not None else nets.G
    info = {
        "kind": nets.arch.kind,
        "z_dim": cfg["z_dim"],
        "num_classes": tdata.num_classes if cfg["conditional"] else 0,
    }
    if tdata.inputs is not None:  # image-to-image: the grid shows the outputs of the first inputs
        info["inputs"] = tdata.inputs
    return G, info
