"""One training step: n_dis discriminator updates, then one generator update (pytorch-gan-collections'
and torch-mimicry's order), with every switch of `options.OPTIONS` applied where its paper applies it.

Every random draw comes from `streams` keyed by the step, and each rank of a distributed run draws the
global batch and keeps its slice: one process and N processes see the same numbers."""

from __future__ import annotations

import contextlib
from typing import Optional

import torch

from . import losses, models, streams, unrolled
from .data import TrainData


class Trainer:
    def __init__(self, cfg: dict, data: TrainData, seed: int, *, device: str = "cpu", world: int = 1,
                 rank: int = 0, amp: Optional[str] = None, compile: bool = False, channels_last: bool = False):
        self.cfg, self.data, self.seed = cfg, data, int(seed)
        if cfg.get("objective", "adversarial") != "adversarial":  # until the objectives land (design note)
            from ..errors import GanbenchError

            raise GanbenchError(f"objective={cfg['objective']} is not wired into training in this build: "
                                "train an adversarial baseline, or --set objective=adversarial")
        self.device, self.world, self.rank = torch.device(device), int(world), int(rank)
        self.nets = models.build(cfg, self.seed, data.num_classes, device, channels_last,
                                 sync_bn=self.world > 1 and self.device.type == "cuda")
        self.channels_last = channels_last and self.nets.arch.kind == "images"
        self.amp = amp
        G, D = self.nets.G, self.nets.D
        self.fG, self.fD = (torch.compile(G), torch.compile(D)) if compile else (G, D)
        self.step = 0
        # the generator's phase: the plain one, or Metz et al.'s loss through K look-ahead D steps
        self.g_phase = (lambda s: unrolled.g_update(self, s)) if cfg.get("unrolled") else self.g_update
        if cfg.get("unrolled") and self.world > 1:  # the look-ahead's D gradients are not averaged over ranks
            from ..errors import GanbenchError

            raise GanbenchError(f"unrolled={cfg['unrolled']} runs in one process: train without torchrun, "
                                "or --set unrolled=0")
        for name in ("batch_size", "g_batch_size"):
            if cfg[name] % self.world:
                from ..errors import GanbenchError

                raise GanbenchError(f"{name}={cfg[name]} does not split over {self.world} processes: "
                                    f"--set {name}=<a multiple of {self.world}>")

    # -- helpers -------------------------------------------------------------------------------
    def _local(self, t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        if t is None:
            return None
        per = t.shape[0] // self.world
        t = t[self.rank * per:(self.rank + 1) * per].to(self.device)
        if self.channels_last and t.dim() == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        return t

    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _z(self, n: int, purpose: str, *counters: int) -> torch.Tensor:
        return self._local(torch.randn(n, self.cfg["z_dim"], generator=streams.generator(self.seed, purpose, *counters)))

    def _gen(self, z: torch.Tensor, y: Optional[torch.Tensor]) -> torch.Tensor:
        return self.fG(z) if y is None else self.fG(z, y)

    def _fake_labels(self, n: int, *counters: int) -> Optional[torch.Tensor]:
        if not self.cfg["conditional"]:
            return None
        g = streams.generator(self.seed, "labels", *counters)
        return self._local(torch.randint(self.data.num_classes, (n,), generator=g))

    def _rand(self, shape, purpose: str, *counters: int, normal: bool = False) -> torch.Tensor:
        g = streams.generator(self.seed, purpose, *counters)
        t = torch.randn(shape, generator=g) if normal else torch.rand(shape, generator=g)
        return self._local(t)

    # -- the step ------------------------------------------------------------------------------
    def d_update(self, s: int, j: int) -> dict:
        cfg, n = self.cfg, self.cfg["batch_size"]
        x, y = self.data.batch(self.seed, s * cfg["n_dis"] + j, n)
        if cfg["dequantize"] and self.data.kind == "images":
            x = x + torch.rand(x.shape, generator=streams.generator(self.seed, "dequant", s, j)) / 128.0
        x, y = self._local(x), (self._local(y) if cfg["conditional"] else None)
        y_fake = self._fake_labels(n, s, j, 0)
        with torch.no_grad(), self._autocast():
            fake = self._gen(self._z(n, "z_d", s, j), y_fake).float()
        sigma = cfg["instance_noise"] * max(0.0, 1.0 - s / cfg["steps"])
        if sigma:
            x = x + sigma * self._rand((n,) + tuple(x.shape[1:]), "noise", s, j, 0, normal=True)
            fake = fake + sigma * self._rand((n,) + tuple(fake.shape[1:]), "noise", s, j, 1, normal=True)
        t_real = t_fake = None
        if cfg["label_smoothing"] or cfg["label_flip"]:
            t_real = torch.full((n,), 1.0 - cfg["label_smoothing"])
            t_fake = torch.zeros(n)
            if cfg["label_flip"]:
                flip = torch.rand((2, n), generator=streams.generator(self.seed, "flip", s, j)) < cfg["label_flip"]
                t_real[flip[0]], t_fake[flip[1]] = 0.0, 1.0
            t_real, t_fake = self._local(t_real), self._local(t_fake)
        with self._autocast():
            out_real, out_fake = self.fD(x, y).float(), self.fD(fake, y_fake).float()
        loss = losses.d_loss(cfg["loss"], out_real, out_fake, t_real, t_fake)
        total = loss
        if cfg["gp"]:
            alpha = self._rand((n,), "gp", s, j)
            total = total + cfg["gp"] * losses.gradient_penalty(self.nets.D, x, fake, alpha, y)
        if cfg["r1"]:
            total = total + 0.5 * cfg["r1"] * losses.r1_penalty(self.nets.D, x, y)
        self.nets.opt_d.zero_grad(set_to_none=True)
        total.backward()
        models.average_gradients(self.nets.D, self.world)
        gnorm = models.grad_norm(self.nets.D)
        self.nets.opt_d.step()
        return {"loss_d": float(total.detach()), "d_real": losses.d_score(cfg["loss"], out_real.detach()),
                "d_fake": losses.d_score(cfg["loss"], out_fake.detach()), "grad_norm_d": gnorm}

    def g_update(self, s: int) -> dict:
        cfg, n = self.cfg, self.cfg["g_batch_size"]
        y_fake = self._fake_labels(n, s, 0, 1)
        self.nets.D.requires_grad_(False)  # G's step needs no gradient of D's weights: skip computing it
        try:
            with self._autocast():
                out = self.fD(self._gen(self._z(n, "z_g", s), y_fake), y_fake).float()
            loss = losses.g_loss(cfg["loss"], out)
            self.nets.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.nets.D.requires_grad_(True)
        models.average_gradients(self.nets.G, self.world)
        gnorm = models.grad_norm(self.nets.G)
        self.nets.opt_g.step()
        return {"loss_g": float(loss.detach()), "grad_norm_g": gnorm}

    def train_step(self) -> dict:
        """Generator step `self.step`; returns its statistics, averaged over ranks."""
        s, cfg, nets = self.step, self.cfg, self.nets
        f = models.lr_factor(cfg, s)
        models.set_lr(nets.opt_d, cfg["lr_d"], f)
        models.set_lr(nets.opt_g, cfg["lr_g"], f)
        nets.G.train()
        nets.D.train()
        d_stats = [self.d_update(s, j) for j in range(cfg["n_dis"])]
        stats = {k: sum(d[k] for d in d_stats) / len(d_stats) for k in d_stats[0]}
        stats.update(self.g_phase(s))
        if nets.G_ema is not None:
            if s >= cfg["ema_start"]:
                models.update_ema(nets.G, nets.G_ema, cfg["ema"])
            else:
                models.copy_into(nets.G, nets.G_ema)
        self.step += 1
        stats["lr_g"] = cfg["lr_g"] * f
        return self._reduce(stats)

    def _reduce(self, stats: dict) -> dict:
        if self.world <= 1:
            return stats
        import torch.distributed as dist

        keys = sorted(stats)
        t = torch.tensor([stats[k] for k in keys], dtype=torch.float64)
        dist.all_reduce(t)
        return {k: float(v) / self.world for k, v in zip(keys, t)}
