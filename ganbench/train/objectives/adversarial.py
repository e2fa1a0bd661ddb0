"""The noise-to-image GANs (DCGAN, LSGAN, WGAN-GP, SNGAN, cGAN-PD): n_dis discriminator updates, then
one generator update (pytorch-gan-collections' and torch-mimicry's order), with every switch of
`options.OPTIONS` applied where its paper applies it: the losses of losses.py, the gradient penalty and
R1, label smoothing and flips, instance noise, dequantisation, weight clipping, WGAN's critic schedule
(critic_schedule=wgan: the extra D steps of the authors' code), and the unrolled generator loss
(unrolled.py) when `unrolled` > 0."""

from __future__ import annotations

import functools

import torch

from .. import losses, models, streams
from ..context import StepContext
from . import unrolled
from .base import Objective, Phase

WGAN_EXTRA_ITERS = 100  # WassersteinGAN's main.py: D steps while G steps < 25 and at every 500th


class Adversarial(Objective):
    name = "adversarial"

    def check(self, world: int) -> None:
        if self.cfg["unrolled"] and world > 1:  # the look-ahead's D gradients are not averaged over ranks
            from ...errors import GanbenchError

            raise GanbenchError(
                f"unrolled={self.cfg['unrolled']} runs in one process: train without torchrun, or --set unrolled=0"
            )

    def build(self, cfg, seed, num_classes, device, channels_last, sync_bn) -> models.Nets:
        G, D, arch = models.networks(cfg, seed, num_classes, device, channels_last, sync_bn)
        nets = {"G": G, "D": D}
        if cfg["ema"]:
            nets["G_ema"] = models.ema_copy(G)
        if cfg["optimizer"] == "rmsprop" and cfg["adam_eps"] != 1e-8:
            from ...errors import GanbenchError

            raise GanbenchError(f"adam_eps={cfg['adam_eps']} is Adam's: --set optimizer=adam, or leave adam_eps out")
        opt_g: torch.optim.Optimizer
        opt_d: torch.optim.Optimizer
        if cfg["optimizer"] == "rmsprop":  # WGAN (Arjovsky et al. 2017): momentum-free, torch's defaults otherwise
            opt_g = torch.optim.RMSprop(G.parameters(), lr=cfg["lr_g"])
            opt_d = torch.optim.RMSprop(D.parameters(), lr=cfg["lr_d"], weight_decay=cfg["weight_decay"])
        else:
            betas = (cfg["beta1"], cfg["beta2"])
            eps = cfg["adam_eps"]
            opt_g = torch.optim.Adam(G.parameters(), lr=cfg["lr_g"], betas=betas, eps=eps)
            opt_d = torch.optim.Adam(
                D.parameters(), lr=cfg["lr_d"], betas=betas, eps=eps, weight_decay=cfg["weight_decay"]
            )
        return models.Nets(
            nets,
            {"opt_g": opt_g, "opt_d": opt_d},
            arch,
            ema={"G_ema": "G"} if cfg["ema"] else {},
            base_lr={"opt_g": cfg["lr_g"], "opt_d": cfg["lr_d"]},
        )

    def critic_steps(self, step: int) -> int:
        """D updates at generator step `step`: n_dis, or with critic_schedule=wgan WassersteinGAN's main.py
        (`Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else opt.Diters`)."""
        n = self.cfg["n_dis"]
        if self.cfg["critic_schedule"] == "wgan" and (step < 25 or step % 500 == 0):
            return WGAN_EXTRA_ITERS
        return n

    def real_images(self, step: int) -> int:
        return self.critic_steps(step) * self.cfg["batch_size"]

    def d_batches_before(self, step: int) -> int:
        """D batches drawn before generator step `step` (the sum of critic_steps over the earlier steps, in
        closed form): D's j-th batch of the step is batch d_batches_before(step) + j, so every D batch of a
        run is a different one, and the constant schedule's index is step * n_dis + j as it always was."""
        n = self.cfg["n_dis"]
        if self.cfg["critic_schedule"] == "constant" or step <= 0:
            return step * n
        extra = min(step, 25) + (step - 1) // 500  # steps < 25, and the multiples of 500 in [25, step)
        return step * n + (WGAN_EXTRA_ITERS - n) * extra

    def phases(self, step: int):
        d = [
            Phase(
                "D",
                "opt_d",
                ("D",),
                functools.partial(self.d_loss, j=j),
                grad_norm="grad_norm_d",
                after_step=self.clip if self.cfg["weight_clip"] else None,
            )
            for j in range(self.critic_steps(step))
        ]
        g_loss = unrolled.g_loss if self.cfg["unrolled"] else self.g_loss
        return d + [
            Phase(
                "G",
                "opt_g",
                ("G",),
                g_loss,
                grad_norm="grad_norm_g",
                after_backward=self.ortho if self.cfg["ortho_reg"] else None,
            )
        ]

    def ortho(self, ctx: StepContext) -> None:
        """BigGAN's orthogonal regularisation of G, added to its gradients after they are averaged over ranks
        (BigGAN-PyTorch's train_fns: utils.ortho after backward, before G's step); its shared class
        embedding is left out, as there."""
        from ..regularizers import ortho_

        G = ctx.nets.G
        shared = getattr(G, "shared", None)
        ortho_(G, self.cfg["ortho_reg"], blacklist=shared.parameters() if shared is not None else ())

    def d_loss(self, ctx: StepContext, j: int):
        cfg, n, s = self.cfg, self.cfg["batch_size"], ctx.step
        x, y = ctx.data.batch(ctx.seed, self.d_batches_before(s) + j, n)
        if cfg["dequantize"] and ctx.data.kind == "images":
            x = x + torch.rand(x.shape, generator=streams.generator(ctx.seed, "dequant", s, j)) / 128.0
        x, y = ctx.local(x), (ctx.local(y) if cfg["conditional"] else None)
        y_fake = ctx.fake_labels(n, s, j, 0)
        with torch.no_grad(), ctx.autocast():
            fake = ctx.gen(ctx.z(n, "z_d", s, j), y_fake).float()
        sigma = cfg["instance_noise"] * max(0.0, 1.0 - s / cfg["steps"])
        if sigma:
            x = x + sigma * ctx.rand((n,) + tuple(x.shape[1:]), "noise", s, j, 0, normal=True)
            fake = fake + sigma * ctx.rand((n,) + tuple(fake.shape[1:]), "noise", s, j, 1, normal=True)
        t_real = t_fake = None
        if cfg["label_smoothing"] or cfg["label_flip"]:
            t_real = torch.full((n,), 1.0 - cfg["label_smoothing"])
            t_fake = torch.zeros(n)
            if cfg["label_flip"]:
                flip = torch.rand((2, n), generator=streams.generator(ctx.seed, "flip", s, j)) < cfg["label_flip"]
                t_real[flip[0]], t_fake[flip[1]] = 0.0, 1.0
            t_real, t_fake = ctx.local(t_real), ctx.local(t_fake)
        with ctx.autocast():
            out_real, out_fake = ctx.disc(ctx.augment(x), y).float(), ctx.disc(ctx.augment(fake), y_fake).float()
        ctx.observe_real(out_real)
        loss = losses.d_loss(cfg["loss"], out_real, out_fake, t_real, t_fake)
        total = loss
        D = ctx.nets.D
        if cfg["gp"]:
            alpha = ctx.rand((n,), "gp", s, j)
            total = total + cfg["gp"] * losses.gradient_penalty(D, x, fake, alpha, y, augment=ctx.augment)
        if cfg["r1"]:
            total = total + 0.5 * cfg["r1"] * losses.r1_penalty(D, x, y, augment=ctx.augment)
        if cfg["l1"]:
            total = total + cfg["l1"] * losses.l1_penalty(D)
        return total, {
            "loss_d": float(total.detach()),
            "d_real": losses.d_score(cfg["loss"], out_real.detach()),
            "d_fake": losses.d_score(cfg["loss"], out_fake.detach()),
            "d_acc": losses.d_accuracy(cfg["loss"], out_real, out_fake),
        }

    def g_loss(self, ctx: StepContext):
        cfg, n, s = self.cfg, self.cfg["g_batch_size"], ctx.step
        y_fake = ctx.fake_labels(n, s, 0, 1)
        with ctx.autocast():
            out = ctx.disc(ctx.augment(ctx.gen(ctx.z(n, "z_g", s), y_fake)), y_fake).float()
        loss = losses.g_loss(cfg["loss"], out)
        return loss, {"loss_g": float(loss.detach())}

    def clip(self, ctx: StepContext) -> None:
        """WGAN (Arjovsky et al. 2017, algorithm 1): the critic's weights clipped to [-c, c] after each step
        (the authors' main.py clamps before each critic step instead: baselines/wgan.toml says why this follows
        the algorithm)."""
        c = self.cfg["weight_clip"]
        with torch.no_grad():
            for p in ctx.nets.D.parameters():
                p.clamp_(-c, c)
