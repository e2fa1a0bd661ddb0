"""G, D, the EMA copy of G and both optimisers for a resolved config, and the gradient averaging of a
distributed run.

Gradients are averaged by hand (one all-reduce of all of a network's gradients per update) rather than
by DistributedDataParallel: a GAN step calls D several times before one backward and takes input
gradients for the gradient penalty and R1, which DDP's hooks do not support. The arithmetic is DDP's:
the mean over ranks of each rank's mean-loss gradient, i.e. the gradient of the global batch's mean."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn

from ..baselines import ARCHITECTURES, apply_spectral_norm
from ..errors import GanbenchError
from . import streams


@dataclass
class Nets:
    G: nn.Module
    D: nn.Module
    G_ema: Optional[nn.Module]
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    arch: object

    def modules(self) -> dict:
        return {"G": self.G, "D": self.D, **({"G_ema": self.G_ema} if self.G_ema is not None else {})}

    def optimizers(self) -> dict:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}


def build(cfg: dict, seed: int, num_classes: int = 0, device: str = "cpu", channels_last: bool = False,
          sync_bn: bool = False) -> Nets:
    """`sync_bn`: BatchNorm statistics over the global batch (CUDA under torchrun; torch's SyncBatchNorm
    has no CPU kernel, so CPU ranks normalise by their own slice, as DDP without it does)."""
    arch = ARCHITECTURES.get(cfg["arch"])
    if cfg["conditional"] and not num_classes:
        raise GanbenchError("conditional=true needs labelled data: pass --labels FILE or a labelled data set")
    state = torch.random.get_rng_state()
    torch.manual_seed(streams.seed_of(seed, "init", 0))  # initial weights: a function of the seed alone
    try:
        G, D = arch.build(cfg["z_dim"], mbstd_group=cfg["mbstd"], mbdisc_kernels=cfg["mbdisc"],
                          num_classes=num_classes if cfg["conditional"] else 0)
        if cfg["spectral_norm"]:
            apply_spectral_norm(D, embeddings=arch.conditional)
    finally:
        torch.random.set_rng_state(state)
    if sync_bn:
        G, D = nn.SyncBatchNorm.convert_sync_batchnorm(G), nn.SyncBatchNorm.convert_sync_batchnorm(D)
    fmt = torch.channels_last if (channels_last and arch.kind == "images") else torch.contiguous_format
    G, D = G.to(device, memory_format=fmt), D.to(device, memory_format=fmt)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False) if cfg["ema"] else None
    betas = (cfg["beta1"], cfg["beta2"])
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg["lr_g"], betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg["lr_d"], betas=betas, weight_decay=cfg["weight_decay"])
    return Nets(G, D, G_ema, opt_g, opt_d, arch)


def lr_factor(cfg: dict, step: int) -> float:
    """pytorch-gan-collections' / torch-mimicry's linear decay: 1 - step / steps at generator step `step`."""
    return 1.0 - step / cfg["steps"] if cfg["lr_schedule"] == "linear" else 1.0


def set_lr(opt: torch.optim.Optimizer, base: float, factor: float) -> None:
    for group in opt.param_groups:
        group["lr"] = base * factor


@torch.no_grad()
def update_ema(G: nn.Module, G_ema: nn.Module, decay: float) -> None:
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.lerp_(p, 1.0 - decay)
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):  # BatchNorm statistics are copied, not averaged
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
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def grad_norm(module: nn.Module) -> float:
    sq = [p.grad.detach().pow(2).sum() for p in module.parameters() if p.grad is not None]
    return float(torch.stack(sq).sum().sqrt()) if sq else 0.0
