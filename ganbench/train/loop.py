"""The scheduler: one generator step runs the objective's phases in order (objectives/), then the EMA;
the learning-rate schedule, gradient averaging over ranks and the statistics' reduction are here, the
same for every family. Nothing here knows a loss.

Every random draw comes from `streams` through the StepContext, keyed by the step, and each rank of a
distributed run draws the global batch and keeps its slice: one process and N processes see the same
numbers."""

from __future__ import annotations

from typing import Dict, List, Optional

import torch

from ..errors import GanbenchError
from . import gradients, models
from .context import StepContext
from .objectives import objective_for


class Trainer:
    def __init__(
        self,
        cfg: dict,
        data,
        seed: int,
        *,
        device: str = "cpu",
        world: int = 1,
        rank: int = 0,
        amp: Optional[str] = None,
        compile: bool = False,
        channels_last: bool = False,
        augment=None,
    ):
        self.cfg, self.data, self.seed = cfg, data, int(seed)
        self.device, self.world, self.rank = torch.device(device), int(world), int(rank)
        self.objective = objective_for(cfg)
        self.nets = models.build(
            cfg,
            self.seed,
            data.num_classes,
            device,
            channels_last,
            sync_bn=self.world > 1 and self.device.type == "cuda",
        )  # the objective's networks
        self.channels_last = channels_last and self.nets.arch.kind == "images"
        self.amp = amp
        trained = {k: m for k, m in self.nets.modules().items() if k not in self.nets.ema}
        compiled = {k: (torch.compile(m) if compile and k in trained else m) for k, m in self.nets.modules().items()}
        self.ctx = StepContext(
            cfg,
            data,
            self.seed,
            self.nets,
            device=self.device,
            world=self.world,
            rank=self.rank,
            amp=amp,
            channels_last=self.channels_last,
            compiled=compiled,
            augment=augment,
        )
        self.augment = augment
        self.step = 0
        # monitoring, no trained number: every `grad_every` steps the per-layer gradient norms of the networks
        # of the phases that log a gradient norm (gradients.py) land in `layer_grads`; None on other steps
        self.grad_every = 0
        self.layer_grads: Optional[Dict[str, Dict[str, float]]] = None
        self._grads: Optional[Dict[str, List[Dict[str, float]]]] = None
        self.objective.check(self.world)
        self.objective.check_data(data)
        for name in ("batch_size", "g_batch_size"):
            if cfg[name] % self.world:
                raise GanbenchError(
                    f"{name}={cfg[name]} does not split over {self.world} processes: "
                    f"--set {name}=<a multiple of {self.world}>"
                )

    # -- one phase -------------------------------------------------------------------------------------
    def run_phase(self, phase, index: int = 0) -> dict:
        """One optimiser update of `phase` (objectives/base.py says what the loop does, in order)."""
        nets, ctx = self.nets, self.ctx
        trainable = {k: m for k, m in nets.modules().items() if k not in nets.ema}
        trains = [trainable[k] for k in phase.trains]
        opt = nets.opts[phase.opt]
        ctx.start_phase(phase.name, index)
        opt.zero_grad(set_to_none=True)
        try:
            for k, m in trainable.items():  # no gradient of the weights this phase does not move
                m.requires_grad_(k in phase.trains)
            loss, stats = phase.loss(ctx)
            loss.backward(inputs=[p for m in trains for p in m.parameters()])
        finally:
            for m in trainable.values():
                m.requires_grad_(True)
        for m in trains:
            models.average_gradients(m, self.world)
        if phase.after_backward is not None:
            phase.after_backward(ctx)
        if phase.grad_norm:
            stats[phase.grad_norm] = models.grad_norm(*trains)
            if self._grads is not None:  # read where grad_norm is: averaged over ranks, before the step
                for k in phase.trains:
                    self._grads.setdefault(k, []).append(gradients.layer_norms(trainable[k]))
        opt.step()
        if phase.after_step is not None:
            phase.after_step(ctx)
        return stats

    # -- the step --------------------------------------------------------------------------------------
    def train_step(self) -> dict:
        """Generator step `self.step`; returns its statistics, averaged over ranks."""
        s, cfg, nets = self.step, self.cfg, self.nets
        f = models.lr_factor(cfg, s)
        for name, opt in nets.opts.items():
            models.set_lr(opt, nets.base_lr[name], f)
        for m in nets.modules().values():
            m.train()
        for k in nets.ema:
            nets.nets[k].eval()
        self.ctx.step = s
        self._grads = {} if self.grad_every and (s + 1) % self.grad_every == 0 else None  # s + 1: as logged
        runs: Dict[str, int] = {}
        collected: Dict[str, List[float]] = {}
        for phase in self.objective.phases(s):
            if s % phase.interval:
                continue
            index = runs[phase.name] = runs.get(phase.name, -1) + 1
            for k, v in self.run_phase(phase, index).items():
                collected.setdefault(k, []).append(v)
        stats = {k: sum(v) / len(v) for k, v in collected.items()}  # a phase run n_dis times: the mean
        self.layer_grads, self._grads = _mean_norms(self._grads), None
        decay = self.objective.ema_decay(s)
        for copy_name, source in nets.ema.items():
            if decay is None:
                models.copy_into(nets.nets[source], nets.nets[copy_name])
            else:
                models.update_ema(nets.nets[source], nets.nets[copy_name], decay, cfg["ema_buffers"])
        end = getattr(self.augment, "end_step", None)
        if end is not None:
            end(s)
        if getattr(self.augment, "p", None) is not None:
            stats["aug_p"] = float(self.augment.p)  # ADA's probability, in the log (same on every rank)
        self.step += 1
        stats["lr_g"] = cfg["lr_g"] * f
        return self._reduce(stats)

    def _reduce(self, stats: dict) -> dict:
        """The mean over ranks. Every rank runs the same phases at a step (their intervals are a function
        of the step), so every rank has the same keys."""
        if self.world <= 1:
            return stats
        import torch.distributed as dist

        keys = sorted(stats)
        t = torch.tensor([stats[k] for k in keys], dtype=torch.float64)
        dist.all_reduce(t)
        return {k: float(v) / self.world for k, v in zip(keys, t)}

    # -- what a checkpoint keeps beyond the networks and optimisers --------------------------------------
    def state(self) -> dict:
        """Checkpoint meta of the objective and the augmentation (absent when they keep nothing, so the
        checkpoints of the earlier families are byte for byte as before)."""
        out = {}
        if self.objective.state():
            out["objective"] = self.objective.state()
        aug = getattr(self.augment, "state", None)
        if aug is not None:
            out["augment"] = aug()
        return out

    def restore(self, meta: dict) -> None:
        if meta.get("objective"):
            self.objective.restore(meta["objective"])
        if "augment" in meta and hasattr(self.augment, "restore"):
            self.augment.restore(meta["augment"])


def _mean_norms(captured: Optional[Dict[str, List[Dict[str, float]]]]) -> Optional[Dict[str, Dict[str, float]]]:
    """{network: [{layer: norm} per run of its phase]} -> {network: {layer: mean norm}}: a phase run n_dis
    times is averaged, as its statistics are."""
    if captured is None:
        return None
    out = {}
    for net, runs in captured.items():
        per: Dict[str, List[float]] = {}
        for r in runs:
            for name, v in r.items():
                per.setdefault(name, []).append(v)
        out[net] = {name: sum(v) / len(v) for name, v in per.items()}
    return out
