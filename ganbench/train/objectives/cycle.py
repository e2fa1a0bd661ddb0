"""Unpaired image-to-image translation: CycleGAN (Zhu, Park, Isola, Efros 2017, Unpaired Image-to-Image
Translation using Cycle-Consistent Adversarial Networks, ICCV) as junyanz/pytorch-CycleGAN-and-pix2pix@032e884
trains it (models/cycle_gan_model.py optimize_parameters, gan_mode 'lsgan', util/image_pool.py):

- each step: a batch a of domain A and b of domain B, drawn independently (TrainData.unpaired);
- phase G first (G_AB and G_BA, one Adam over both, as the reference's optimizer_G over the chain):
  fake_b = G_AB(a), rec_a = G_BA(fake_b), fake_a = G_BA(b), rec_b = G_AB(fake_a);
  loss = MSE(D_B(fake_b), 1) + MSE(D_A(fake_a), 1) + lambda_a |rec_a - a| + lambda_b |rec_b - b|
         + lambda_identity (lambda_b |G_AB(b) - b| + lambda_a |G_BA(a) - a|)   (means over elements);
- phase D (D_A and D_B, one Adam): D_B on b (target 1) and on pool_b.query(fake_b) (target 0), each
  D's loss (real + fake) / 2; then D_A on a and pool_a.query(fake_a). The fakes are the G phase's,
  made before G's update, as the reference's forward() runs once before both updates.

Names: D_B judges domain B (the reference's netD_A, the paper's D_Y); D_A judges A (netD_B, D_X).

The image pool (Shrivastava et al. 2017): until it holds `pool_size` fakes each new fake goes in and is
returned; then with probability 1/2 a stored fake is returned and the new one takes its place, else the
new one is returned. The draws come from `streams` keyed (seed, "pool", step, pool), so a resumed run
draws them again identically; the pools' contents go into the checkpoint through state()/restore()
(float32 bytes, base64), so resume is bit-exact. The pools hold one process's fakes: one process only."""

from __future__ import annotations

import base64
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import GanbenchError
from .. import models, streams
from ..context import StepContext
from .base import Objective, Phase

# options of the adversarial objective that CycleGAN does not read: set, they would silently do nothing
_NOT_HERE = (
    "gp",
    "r1",
    "label_smoothing",
    "label_flip",
    "instance_noise",
    "dequantize",
    "unrolled",
    "mbdisc",
    "mbstd",
    "spectral_norm",
    "conditional",
    "augment",
    "ema",
    "weight_decay",
)


class ImagePool:
    """The reference's ImagePool with seeded draws: `query(images, g)` -> the images D is shown."""

    def __init__(self, size: int):
        self.size = int(size)
        self.images: List[torch.Tensor] = []  # stored fakes, each (C, H, W)

    def query(self, images: torch.Tensor, g: Optional[torch.Generator]) -> torch.Tensor:
        if self.size == 0:
            return images
        n = len(images)
        # one swap coin and one slot per image, drawn whether used or not (the draws of a step are fixed)
        coin = torch.rand(n, generator=g)
        slot = torch.randint(self.size, (n,), generator=g)
        out = []
        for i, image in enumerate(images.detach()):
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif coin[i] > 0.5:
                out.append(self.images[slot[i]])
                self.images[slot[i]] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state(self) -> dict:
        if not self.images:
            return {"n": 0}
        t = torch.stack(self.images).to("cpu", torch.float32).contiguous()
        return {
            "n": len(self.images),
            "shape": list(t.shape[1:]),
            "float32": base64.b64encode(t.numpy().tobytes()).decode("ascii"),
        }

    def restore(self, state: dict, device) -> None:
        n = int(state.get("n", 0))
        if not n:
            self.images = []
            return
        flat = np.frombuffer(base64.b64decode(state["float32"]), dtype=np.float32)
        t = torch.from_numpy(flat.copy()).view(n, *state["shape"]).to(device)
        self.images = list(t.unbind(0))


class Cycle(Objective):
    name = "cycle"

    def __init__(self, cfg: dict):
        super().__init__(cfg)
        size = cfg.get("pool_size", 50)
        self.pools = {"b": ImagePool(size), "a": ImagePool(size)}  # pool_b: fakes of domain B, D_B's
        self._fakes: Optional[Tuple[int, torch.Tensor, torch.Tensor]] = (
            None  # (step, fake_b, fake_a) of the G phase, detached: the D phase's fakes
        )
        self.device = torch.device("cpu")

    def check(self, world: int) -> None:
        self.refuse_unused(_NOT_HERE)
        cfg = self.cfg
        if cfg["loss"] != "lsgan" or cfg["n_dis"] != 1 or cfg["g_batch_size"] != cfg["batch_size"]:
            raise GanbenchError(
                "objective=cycle trains with the least-squares loss (loss=lsgan), n_dis=1 and one "
                "batch size for D and G (g_batch_size = batch_size): fix the baseline's [train]"
            )
        if world > 1:
            raise GanbenchError(
                f"objective=cycle trains in one process (its image pools hold that process's fakes), "
                f"not {world}: run `ganbench train` without torchrun"
            )

    def check_data(self, data) -> None:
        if data.meta.get("kind") != "unpaired":
            raise GanbenchError(
                f"--data {data.name}: objective=cycle trains on two unpaired image sets, a .npz with "
                "`a` and `b` (`ganbench data unpaired --source IMAGES --from CLASS --to CLASS -o X.npz`)"
            )

    def build(self, cfg, seed, num_classes, device, channels_last, sync_bn) -> models.Nets:
        G_ab, D_b, arch = models.networks(cfg, seed, 0, device, channels_last, sync_bn)
        if not arch.extra.get("unpaired"):
            raise GanbenchError(
                f"objective=cycle trains an unpaired image-to-image architecture (cyclegan-resnet32); "
                f"{arch.name} is not one: pick the cyclegan baseline or another objective"
            )
        # the second pair from its own init stream: the same weights in every process and after a resume
        G_ba, D_a, _ = models.networks(cfg, streams.seed_of(seed, "init", 1), 0, device, channels_last, sync_bn)
        self.device = torch.device(device)
        nets = {"G_AB": G_ab, "G_BA": G_ba, "D_A": D_a, "D_B": D_b}
        betas = (cfg["beta1"], cfg["beta2"])
        opts = {
            "opt_g": torch.optim.Adam([*G_ab.parameters(), *G_ba.parameters()], lr=cfg["lr_g"], betas=betas),
            "opt_d": torch.optim.Adam([*D_a.parameters(), *D_b.parameters()], lr=cfg["lr_d"], betas=betas),
        }
        return models.Nets(nets, opts, arch, base_lr={"opt_g": cfg["lr_g"], "opt_d": cfg["lr_d"]}, main="G_AB")

    def phases(self, step: int):
        return [
            Phase("G", "opt_g", ("G_AB", "G_BA"), self.g_loss, grad_norm="grad_norm_g"),
            Phase("D", "opt_d", ("D_A", "D_B"), self.d_loss, grad_norm="grad_norm_d"),
        ]

    # -- losses ----------------------------------------------------------------------------------------
    @staticmethod
    def _ls(out: torch.Tensor, target: float) -> torch.Tensor:
        """The reference's GANLoss('lsgan'): MSE of every patch's output to the target."""
        return F.mse_loss(out, torch.full_like(out, target))

    def cycle_losses(self, a, b, fake_b, rec_a, fake_a, rec_b, idt_b=None, idt_a=None) -> dict:
        """The cycle and identity terms, weighted (idt_b = G_AB(b), idt_a = G_BA(a))."""
        cfg = self.cfg
        out = {
            "cycle_a": cfg["lambda_a"] * (rec_a - a).abs().mean(),
            "cycle_b": cfg["lambda_b"] * (rec_b - b).abs().mean(),
        }
        if cfg["lambda_identity"] > 0:
            out["idt_b"] = cfg["lambda_identity"] * cfg["lambda_b"] * (idt_b - b).abs().mean()
            out["idt_a"] = cfg["lambda_identity"] * cfg["lambda_a"] * (idt_a - a).abs().mean()
        return out

    def _batch(self, ctx: StepContext):
        a, b = ctx.data.unpaired(ctx.seed, ctx.step, self.cfg["batch_size"])
        return ctx.local(a), ctx.local(b)

    def g_loss(self, ctx: StepContext):
        a, b = self._batch(ctx)
        f = ctx.f
        with ctx.autocast():
            fake_b = f["G_AB"](a).float()
            rec_a = f["G_BA"](fake_b).float()
            fake_a = f["G_BA"](b).float()
            rec_b = f["G_AB"](fake_a).float()
            idt = (f["G_AB"](b).float(), f["G_BA"](a).float()) if self.cfg["lambda_identity"] > 0 else (None, None)
            gan_b = self._ls(f["D_B"](fake_b).float(), 1.0)
            gan_a = self._ls(f["D_A"](fake_a).float(), 1.0)
        terms = self.cycle_losses(a, b, fake_b, rec_a, fake_a, rec_b, *idt)
        loss = gan_b + gan_a + sum(terms.values())
        self._fakes = (ctx.step, fake_b.detach(), fake_a.detach())
        stats = {"loss_g": float(loss.detach()), "loss_g_ab": float(gan_b.detach()), "loss_g_ba": float(gan_a.detach())}
        return loss, {**stats, **{k: float(v.detach()) for k, v in terms.items()}}

    def d_loss(self, ctx: StepContext):
        if self._fakes is None or self._fakes[0] != ctx.step:
            raise RuntimeError("objective=cycle: the D phase runs after the G phase of the same step")
        a, b = self._batch(ctx)
        _, fake_b, fake_a = self._fakes
        stats: Dict[str, float] = {}
        parts: List[torch.Tensor] = []
        # the reference's order: D_B's pool (its backward_D_A on fake_B) first, then D_A's
        for key, net, real, fake in (("b", "D_B", b, fake_b), ("a", "D_A", a, fake_a)):
            g = streams.generator(ctx.seed, "pool", ctx.step, 0 if key == "b" else 1)
            shown = self.pools[key].query(fake, g)
            with ctx.autocast():
                out_real = ctx.f[net](real).float()
                out_fake = ctx.f[net](shown).float()
            loss = 0.5 * (self._ls(out_real, 1.0) + self._ls(out_fake, 0.0))
            parts.append(loss)
            stats[f"loss_d_{key}"] = float(loss.detach())
            # each D's mean patch output (LSGAN targets: 1 real, 0 fake) on the images its loss saw, as
            # losses.d_score logs the adversarial family's: the failure monitor's D-wins signal reads them
            stats[f"d_real_{key}"] = float(out_real.detach().mean())
            stats[f"d_fake_{key}"] = float(out_fake.detach().mean())
        stats["loss_d"] = stats["loss_d_a"] + stats["loss_d_b"]
        stats["d_real"] = (stats["d_real_a"] + stats["d_real_b"]) / 2
        stats["d_fake"] = (stats["d_fake_a"] + stats["d_fake_b"]) / 2
        return parts[0] + parts[1], stats

    # -- the pools in checkpoints ----------------------------------------------------------------------
    def state(self):
        return {"pools": {k: p.state() for k, p in self.pools.items()}}

    def restore(self, state) -> None:
        for k, p in self.pools.items():
            p.restore(state.get("pools", {}).get(k, {}), self.device)
