"""StyleGAN2 (Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN) as trained by
NVlabs/stylegan2-ada-pytorch@d72cc7d (training/loss.py StyleGAN2Loss, training/training_loop.py):

- phases in the reference's order: Gmain (non-saturating logistic loss), Greg (path-length
  regularisation, every g_reg_interval = 4 steps), Dmain (logistic loss on fake and real), Dreg (R1 with
  gamma = `r1` on real images, every d_reg_interval = 16 steps); a lazy phase's loss is multiplied by its
  interval (the reference's `gain`), and each network's Adam gets lr * r and betas ** r, r = k / (k + 1),
  one optimiser for its main and lazy phases, as the reference's `mb_ratio`;
- style mixing with probability `style_mixing` (one cutoff in [1, num_ws) a batch);
- path length: pl_lengths = |J^T y| over a batch / pl_batch_shrink, pl_mean its running mean
  (pl_decay), kept in the checkpoint; penalty (pl_lengths - pl_mean)^2 * pl_weight;
- non-finite gradients set to 0 / +-1e5 before each step (the reference's nan_to_num);
- G_ema: beta = 0.5 ** (batch / max(ema_nimg, 1e-8)), ema_nimg = ema_kimg * 1000, at most
  images_seen * ema_rampup when ema_rampup > 0.

The reference's `--cfg=cifar` (train.py) sets: batch 64, minibatch-std group 32, lr 0.0025, Adam betas
(0, 0.99), eps 1e-8, r1 gamma 0.01, ema_kimg 500, ema_rampup 0.05, a 2-layer mapping network,
pl_weight 0 and style_mixing 0 (both disabled), and D architecture 'orig' (no residual skips). Its G
still has G_reg_interval 4, so G's Adam keeps the 4/5 mb_ratio although Greg has nothing to do; here
too (Greg is left out when pl_weight is 0: the reference's Greg then steps Adam with no gradients,
which moves nothing).

The networks are the reference's interface (ganbench/baselines/stylegan2.py): G.mapping(z, c,
update_emas=...) -> ws [N, num_ws, w_dim], G.synthesis(ws) -> images, D(img, c) -> [N, 1], with c one-hot
[N, c_dim] ([N, 0] unconditional). Every draw comes from `streams` through the context: z, labels, the
mixing cutoff and latents, the PL noise, and the synthesis noise inputs (the network's own torch.randn,
run under a seeded RNG). Differences from the reference: fake labels are uniform over classes (the
reference draws them from the training set's labels: the same for balanced CIFAR-10), one mixing cutoff
for the global batch (the reference draws one per GPU), w_avg updated by every main mapping call, as the
reference's (its mixing call skips it)."""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F

from ...errors import GanbenchError
from .. import models, streams
from ..context import StepContext
from . import phase_id
from .base import Objective, Phase

# options of the adversarial objective that StyleGAN2 does not read: set, they would silently do nothing
_NOT_HERE = (
    "gp",
    "label_smoothing",
    "label_flip",
    "instance_noise",
    "dequantize",
    "unrolled",
    "ema",
    "ema_start",
    "weight_decay",
    "mbdisc",
    "spectral_norm",
)


class StyleGAN2(Objective):
    name = "stylegan2"

    def __init__(self, cfg: dict):
        super().__init__(cfg)
        self.pl_mean = torch.zeros([])

    def check(self, world: int) -> None:
        cfg = self.cfg
        self.refuse_unused(_NOT_HERE, "; its EMA is ema_kimg")
        self.require_single_step("its logistic loss")
        if cfg["pl_weight"] and world > 1:
            raise GanbenchError(
                "pl_weight > 0 runs in one process (the running path-length mean is not averaged over "
                "ranks): train without torchrun, or --set pl_weight=0"
            )
        if cfg["pl_weight"] and (cfg["batch_size"] // cfg["pl_batch_shrink"]) % world:
            raise GanbenchError(
                f"batch_size / pl_batch_shrink does not split over {world} processes: --set pl_batch_shrink=..."
            )

    # -- networks ------------------------------------------------------------------------------------
    def build(self, cfg, seed, num_classes, device, channels_last, sync_bn) -> models.Nets:
        G, D, arch = models.networks(cfg, seed, num_classes, device, channels_last, sync_bn)
        nets, opts, lrs = {"G": G, "D": D}, {}, {}
        for name, module, lr, k in (
            ("opt_g", G, cfg["lr_g"], cfg["g_reg_interval"]),
            ("opt_d", D, cfg["lr_d"], cfg["d_reg_interval"]),
        ):
            r = k / (k + 1)  # the reference's mb_ratio: the lazy phase's steps counted in Adam's lr and betas
            lrs[name] = lr * r
            opts[name] = torch.optim.Adam(
                module.parameters(), lr=lr * r, betas=(cfg["beta1"] ** r, cfg["beta2"] ** r), eps=1e-8
            )
        if cfg["ema_kimg"]:
            nets["G_ema"] = models.ema_copy(G)
        return models.Nets(nets, opts, arch, ema={"G_ema": "G"} if cfg["ema_kimg"] else {}, base_lr=lrs)

    def phases(self, step: int):
        cfg, fix = self.cfg, _finite
        out = [Phase("Gmain", "opt_g", ("G",), self.g_main, grad_norm="grad_norm_g", after_backward=fix)]
        if cfg["pl_weight"]:
            out.append(Phase("Greg", "opt_g", ("G",), self.g_reg, interval=cfg["g_reg_interval"], after_backward=fix))
        out.append(Phase("Dmain", "opt_d", ("D",), self.d_main, grad_norm="grad_norm_d", after_backward=fix))
        if cfg["r1"]:
            out.append(Phase("Dreg", "opt_d", ("D",), self.d_reg, interval=cfg["d_reg_interval"], after_backward=fix))
        return out

    def ema_decay(self, step: int) -> Optional[float]:
        n = self.cfg["batch_size"]
        nimg = self.cfg["ema_kimg"] * 1000
        if self.cfg["ema_rampup"]:
            nimg = min(nimg, step * n * self.cfg["ema_rampup"])  # images seen before this step
        return 0.5 ** (n / max(nimg, 1e-8))

    def state(self) -> dict:
        return {"pl_mean": float(self.pl_mean)} if self.cfg["pl_weight"] else {}

    def restore(self, state: dict) -> None:
        if "pl_mean" in state:
            self.pl_mean = torch.tensor(state["pl_mean"], dtype=torch.float32)

    # -- helpers -------------------------------------------------------------------------------------
    def labels(self, ctx: StepContext, y: Optional[torch.Tensor], n: int) -> torch.Tensor:
        """c as the reference's networks take it: one-hot [N, c_dim], or [N, 0] unconditional."""
        c_dim = getattr(ctx.nets.G, "c_dim", 0)
        if y is None or not c_dim:
            return torch.zeros([n, 0], device=ctx.device)
        return F.one_hot(y, c_dim).float()

    def run_G(self, ctx: StepContext, z: torch.Tensor, c: torch.Tensor, phase: str):
        """(images, ws): the reference's run_G with style mixing, every draw from `streams`."""
        G, s, pid = ctx.f["G"], ctx.step, phase_id(phase)
        ws = G.mapping(z, c, update_emas=True)
        if self.cfg["style_mixing"] > 0:
            g = streams.generator(ctx.seed, "mixing", s, pid)
            cutoff = int(torch.randint(1, ws.shape[1], (), generator=g))
            if float(torch.rand((), generator=g)) >= self.cfg["style_mixing"]:
                cutoff = ws.shape[1]
            if cutoff < ws.shape[1]:
                z2 = ctx.z(z.shape[0] * ctx.world, "mixing", s, pid, 1, dim=z.shape[1])
                ws = torch.cat([ws[:, :cutoff], G.mapping(z2, c, update_emas=False)[:, cutoff:]], 1)
        with ctx.seeded("net_rng", s, pid):
            img = G.synthesis(ws)
        return img, ws

    def _fake(self, ctx: StepContext, n: int, k: int):
        """z and c of phase k (0 Gmain, 1 Greg, 2 Dmain): each phase its own, as the reference's all_gen_z."""
        s = ctx.step
        y = ctx.fake_labels(n, s, k, 2)
        return ctx.z(n, "z_g", s, k), self.labels(ctx, y, n // ctx.world)

    # -- phases --------------------------------------------------------------------------------------
    def g_main(self, ctx: StepContext):
        z, c = self._fake(ctx, self.cfg["batch_size"], 0)
        with ctx.autocast():
            img, _ws = self.run_G(ctx, z, c, "Gmain")
            logits = ctx.disc(ctx.augment(img), c).float()
        loss = F.softplus(-logits).mean()  # -log(sigmoid(D(G(z))))
        return loss, {"loss_g": float(loss.detach())}

    def g_reg(self, ctx: StepContext):
        cfg = self.cfg
        n = cfg["batch_size"] // cfg["pl_batch_shrink"]
        z, c = self._fake(ctx, n, 1)
        img, ws = self.run_G(ctx, z, c, "Greg")
        noise = ctx.rand(tuple((n,) + tuple(img.shape[1:])), "pl_noise", ctx.step, normal=True)
        noise = noise / math.sqrt(img.shape[2] * img.shape[3])
        (grads,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
        lengths = grads.square().sum(2).mean(1).sqrt()
        pl_mean = self.pl_mean.to(lengths.device).lerp(lengths.mean(), cfg["pl_decay"])
        self.pl_mean = pl_mean.detach().cpu()
        penalty = (lengths - pl_mean).square()
        loss = (img[:, 0, 0, 0] * 0 + penalty * cfg["pl_weight"]).mean() * cfg["g_reg_interval"]
        return loss, {"pl_penalty": float(penalty.detach().mean()), "pl_mean": float(self.pl_mean)}

    def _real(self, ctx: StepContext):
        n = self.cfg["batch_size"]
        x, y = ctx.data.batch(ctx.seed, ctx.step, n)
        y = ctx.local(y) if self.cfg["conditional"] else None
        return ctx.local(x), self.labels(ctx, y, n // ctx.world)

    def d_main(self, ctx: StepContext):
        z, c_fake = self._fake(ctx, self.cfg["batch_size"], 2)
        x, c = self._real(ctx)
        with ctx.autocast():
            with torch.no_grad():
                fake, _ws = self.run_G(ctx, z, c_fake, "Dmain")
            out_fake = ctx.disc(ctx.augment(fake.float()), c_fake).float()
            out_real = ctx.disc(ctx.augment(x), c).float()
        ctx.observe_real(out_real)
        loss = F.softplus(out_fake).mean() + F.softplus(-out_real).mean()
        return loss, {
            "loss_d": float(loss.detach()),
            "d_real": float(torch.sigmoid(out_real.detach()).mean()),
            "d_fake": float(torch.sigmoid(out_fake.detach()).mean()),
        }

    def d_reg(self, ctx: StepContext):
        x, c = self._real(ctx)  # the batch Dmain saw, as the reference's phases share one real batch
        x = x.detach().requires_grad_(True)
        logits = ctx.disc(ctx.augment(x), c).float()  # R1 at the un-augmented image, as the reference
        ctx.observe_real(logits)
        (grads,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
        penalty = grads.square().sum([1, 2, 3])
        loss = (logits * 0 + (penalty * (self.cfg["r1"] / 2)).view(-1, 1)).mean() * self.cfg["d_reg_interval"]
        return loss, {"r1_penalty": float(penalty.detach().mean())}


def _finite(ctx: StepContext) -> None:
    """The reference's nan_to_num of every gradient before the optimiser step."""
    for m in ctx.nets.modules().values():
        for p in m.parameters():
            if p.grad is not None:
                torch.nan_to_num(p.grad, nan=0.0, posinf=1e5, neginf=-1e5, out=p.grad)
