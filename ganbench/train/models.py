"""The named networks and optimisers of a run (`Nets`), G and D of an architecture, the EMA, the
learning-rate schedule and the gradient averaging of a distributed run.

Gradients are averaged by hand (one all-reduce of all of a network's gradients per update) rather than
by DistributedDataParallel: a GAN step calls D several times before one backward and takes input
gradients for the gradient penalty and R1, which DDP's hooks do not support. The arithmetic is DDP's:
the mean over ranks of each rank's mean-loss gradient, i.e. the gradient of the global batch's mean."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Dict, Mapping, Tuple

import torch
import torch.nn as nn

from ..baselines import ARCHITECTURES, apply_spectral_norm
from ..baselines.base import Architecture
from ..errors import GanbenchError
from . import streams


@dataclass
class Nets:
    """The networks and optimisers of a run, by name (checkpoints, EMA, resume and gradient averaging
    work on any set of them): `nets` in checkpoint order, `ema` EMA copy -> the network it follows,
    `base_lr` optimiser -> the learning rate the schedule scales."""

    nets: Dict[str, nn.Module]
    opts: Mapping[str, torch.optim.Optimizer]
    arch: Architecture
    ema: Dict[str, str] = field(default_factory=dict)
    base_lr: Dict[str, float] = field(default_factory=dict)
    main: str = "G"  # the generator that samples, grids and `sample` run (CycleGAN: G_AB)

    def modules(self) -> dict:
        return dict(self.nets)

    def optimizers(self) -> dict:
        return dict(self.opts)

    # the noise-to-image families' names
    G = property(lambda self: self.nets[self.main])
    D = property(lambda self: self.nets["D"])
    G_ema = property(lambda self: self.nets.get("G_ema"))
    opt_g = property(lambda self: self.opts["opt_g"])
    opt_d = property(lambda self: self.opts["opt_d"])


def networks(
    cfg: dict, seed: int, num_classes: int = 0, device: str = "cpu", channels_last: bool = False, sync_bn: bool = False
) -> Tuple[nn.Module, nn.Module, Architecture]:
    """(G, D, arch) of `cfg["arch"]`, initial weights a function of the seed alone.

    `sync_bn`: BatchNorm statistics over the global batch (CUDA under torchrun; torch's SyncBatchNorm
    has no CPU kernel, so CPU ranks normalise by their own slice, as DDP without it does)."""
    arch = ARCHITECTURES.get(cfg["arch"])
    if cfg["conditional"] and not num_classes:
        raise GanbenchError("conditional=true needs labelled data: pass --labels FILE or a labelled data set")
    state = torch.random.get_rng_state()
    torch.manual_seed(streams.seed_of(seed, "init", 0))  # initial weights: a function of the seed alone
    try:
        G, D = arch.build(
            cfg["z_dim"],
            mbstd_group=cfg["mbstd"],
            mbdisc_kernels=cfg["mbdisc"],
            num_classes=num_classes if cfg["conditional"] else 0,
        )
        if cfg["spectral_norm"]:
            apply_spectral_norm(D, embeddings=arch.conditional)
    finally:
        torch.random.set_rng_state(state)
    if sync_bn:
        G, D = nn.SyncBatchNorm.convert_sync_batchnorm(G), nn.SyncBatchNorm.convert_sync_batchnorm(D)
    fmt = torch.channels_last if (channels_last and arch.kind == "images") else torch.contiguous_format
    return G.to(device, memory_format=fmt), D.to(device, memory_format=fmt), arch


def ema_copy(G: nn.Module) -> nn.Module:
    return copy.deepcopy(G).eval().requires_grad_(False)


def build(
    cfg: dict, seed: int, num_classes: int = 0, device: str = "cpu", channels_last: bool = False, sync_bn: bool = False
) -> Nets:
    """The networks of the objective `cfg` names (see objectives/)."""
    from .objectives import objective_for

    return objective_for(cfg).build(cfg, seed, num_classes, device, channels_last, sync_bn)


def lr_factor(cfg: dict, step: int) -> float:
    """pytorch-gan-collections' / torch-mimicry's linear decay: 1 - step / steps at generator step `step`;
    with lr_decay_start f (CycleGAN: its niter epochs of niter + niter_decay), 1 until step k = f * steps,
    then 1 - (step - k) / (steps - k). lr_schedule=step (SRGAN's 1e-4 then 1e-5): 1 before step k, then
    lr_step_factor."""
    k = cfg.get("lr_decay_start", 0.0) * cfg["steps"]
    if cfg["lr_schedule"] == "step":
        return cfg["lr_step_factor"] if step >= k else 1.0
    if cfg["lr_schedule"] != "linear":
        return 1.0
    return 1.0 - max(0.0, step - k) / (cfg["steps"] - k)


def set_lr(opt: torch.optim.Optimizer, base: float, factor: float) -> None:
    for group in opt.param_groups:
        group["lr"] = base * factor


@torch.no_grad()
def update_ema(G: nn.Module, G_ema: nn.Module, decay: float, buffers: str = "copy") -> None:
    """G_ema's weights towards G's; its buffers (BatchNorm statistics, spectral norm's u and v) copied, or
    with buffers="average" averaged with the same decay (PyTorch-StudioGAN@947b35e src/utils/ema.py Ema:
    every buffer but the integer num_batches_tracked, which is copied)."""
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.lerp_(p, 1.0 - decay)
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        if buffers == "average" and b.is_floating_point():
            b_ema.lerp_(b, 1.0 - decay)
        else:
            b_ema.copy_(b)


@torch.no_grad()
def copy_into(G: nn.Module, G_ema: nn.Module) -> None:
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.copy_(p)
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        b_ema.copy_(b)


def average_gradients(module: nn.Module, world: int) -> None:
    if world <= 1:
        return
    import torch.distributed as dist

    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def grad_norm(*modules: nn.Module) -> float:
    sq = [p.grad.detach().pow(2).sum() for m in modules for p in m.parameters() if p.grad is not None]
    return float(torch.stack(sq).sum().sqrt()) if sq else 0.0
