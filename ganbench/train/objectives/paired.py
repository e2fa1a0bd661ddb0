"""Paired image-to-image translation: Pix2Pix (Isola, Zhu, Zhou, Efros 2017, Image-to-Image Translation
with Conditional Adversarial Networks, CVPR) as junyanz/pytorch-CycleGAN-and-pix2pix@032e884 trains it
(models/pix2pix_model.py, gan_mode 'vanilla', pool_size 0):

- each step: one batch of (input x, target y) pairs, the same indices for both (TrainData.pairs);
  fake = G(x) computed once; D updated first, on cat(x, fake) (detached) as fake and cat(x, y) as real,
  BCE-with-logits over every patch, the sum halved ("the D loss halved", the paper's sec. 3.3 slows D
  down this way); then G on BCE(D(cat(x, fake)), real) + l1_weight * mean |fake - y|;
- Adam(lr, betas (0.5, 0.999)) for each network (the baseline's lr_g, lr_d, beta1, beta2).
The colourisation model (models/colorization_model.py; arch pix2pix-unet32-lab) is the same objective on the
input's L* and the target's a*, b* (colorization_dataset.py's scaling): G maps L to ab, D sees cat(L, ab),
L1 is on ab.

recon=l2-masked: the context encoder (Pathak, Krahenbuhl, Donahue, Darrell, Efros 2016, CVPR) as
pathak22/context-encoder@68abd11 train.lua trains it (wtl2 0.999, overlapPred 4 at 128): the data's
hole (`mask`) grown by `overlap` pixels is the region G predicts; the reconstruction is the mean
squared error over that region's elements, each border pixel's squared error weighted overlap_weight
(the reference's overlapL2Weight 10), and G's loss is adv_weight (1 - wtl2 = 0.001) x BCE + l2_weight
(wtl2 = 0.999) x that. D sees the completed image (G's output in the region, the target elsewhere)
beside the input, as the paired D does; the reference's D sees the predicted centre patch alone.

G's dropout draws from torch's global RNG: it runs under ctx.seeded("net_rng", step, phase_id("pix2pix-G")),
so its masks are a function of the seed and step (a resumed run draws them again identically; under
torchrun each rank draws its own slice's masks from that seed, so N processes differ from one there).
The reference runs G once per step and uses that output in both updates; the loop here runs D's phase
and then G's, so D's phase runs G with the same dropout seed on throwaway copies of its batch-norm buffers (torch.func's
functional_call, as unrolled.py): the output is the same tensor the G phase computes, and G's running
statistics move once per step, as the reference's."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.func import functional_call

from ...errors import GanbenchError
from .. import models
from ..context import StepContext
from . import phase_id
from .base import Objective, Phase

# options of the adversarial objective that Pix2Pix does not read: set, they would silently do nothing
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
)


class Paired(Objective):
    name = "paired"

    def check(self, world: int) -> None:
        self.refuse_unused(_NOT_HERE)
        self.require_single_step("the vanilla GAN loss")
        self.refuse_unused(
            ("l1_weight",) if self.cfg["recon"] == "l2-masked" else ("l2_weight", "overlap", "overlap_weight"),
            hint=f" (recon={self.cfg['recon']})",
        )

    def check_data(self, data) -> None:
        if self.cfg["recon"] == "l2-masked" and data.masks is None:
            data.holes(0, 0, 1)  # its one-line error: the data holds no mask

    def build(self, cfg, seed, num_classes, device, channels_last, sync_bn) -> models.Nets:
        G, D, arch = models.networks(cfg, seed, 0, device, channels_last, sync_bn)
        if not arch.paired:
            raise GanbenchError(
                f"objective=paired trains an image-to-image architecture (pix2pix-unet32); "
                f"{arch.name} generates from noise: pick a paired baseline or another objective"
            )
        nets = {"G": G, "D": D}
        if cfg["ema"]:
            nets["G_ema"] = models.ema_copy(G)
        betas = (cfg["beta1"], cfg["beta2"])
        opts = {
            "opt_g": torch.optim.Adam(G.parameters(), lr=cfg["lr_g"], betas=betas),
            "opt_d": torch.optim.Adam(D.parameters(), lr=cfg["lr_d"], betas=betas, weight_decay=cfg["weight_decay"]),
        }
        return models.Nets(
            nets,
            opts,
            arch,
            ema={"G_ema": "G"} if cfg["ema"] else {},
            base_lr={"opt_g": cfg["lr_g"], "opt_d": cfg["lr_d"]},
        )

    def phases(self, step: int):
        return [
            Phase("D", "opt_d", ("D",), self.d_loss, grad_norm="grad_norm_d"),
            Phase("G", "opt_g", ("G",), self.g_loss, grad_norm="grad_norm_g"),
        ]

    # -- helpers ---------------------------------------------------------------------------------------
    def _pairs(self, ctx: StepContext):
        """(G's input, G's target) of this step's pairs: the images, or what a G that converts them reads and
        makes (the colourisation model's L* and a*, b*: pix2pix.LabUNet)."""
        x, y = ctx.data.pairs(ctx.seed, ctx.step, self.cfg["batch_size"])
        x, y = ctx.local(x), ctx.local(y)
        G = ctx.nets.G
        if hasattr(G, "to_model"):
            return G.to_model(x), G.target(y)
        return x, y

    def _region(self, ctx: StepContext):
        """(hole, region) masks (n, 1, H, W): the data's hole, and it grown by `overlap` pixels."""
        hole = ctx.local(ctx.data.holes(ctx.seed, ctx.step, self.cfg["batch_size"]))
        k = self.cfg["overlap"]
        return hole, (F.max_pool2d(hole, 2 * k + 1, 1, k) if k else hole)

    def _shown(self, ctx: StepContext, fake: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What D sees of G's output: all of it (pix2pix), or the completed image (context encoder)."""
        if self.cfg["recon"] != "l2-masked":
            return fake
        return torch.where(self._region(ctx)[1].bool(), fake, y)

    def _fake(self, ctx: StepContext, x: torch.Tensor, keep_stats: bool) -> torch.Tensor:
        """G(x) with this step's dropout masks; `keep_stats`: G's batch-norm buffers left as they are."""
        with ctx.seeded("net_rng", ctx.step, phase_id("pix2pix-G")), ctx.autocast():
            if not keep_stats:
                return ctx.f["G"](x).float()
            G = ctx.nets.G
            buffers = {k: b.clone() for k, b in G.named_buffers()}
            return functional_call(G, {**dict(G.named_parameters()), **buffers}, (x,)).float()

    @staticmethod
    def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))

    # -- phases ----------------------------------------------------------------------------------------
    def d_loss(self, ctx: StepContext):
        x, y = self._pairs(ctx)
        with torch.no_grad():
            fake = self._shown(ctx, self._fake(ctx, x, keep_stats=True), y)
        with ctx.autocast():  # the reference's order: fake, then real (D's batch-norm statistics)
            out_fake = ctx.f["D"](torch.cat([x, fake], 1)).float()
            out_real = ctx.f["D"](torch.cat([x, y], 1)).float()
        loss = 0.5 * (self._bce(out_fake, False) + self._bce(out_real, True))
        return loss, {
            "loss_d": float(loss.detach()),
            "d_real": float(torch.sigmoid(out_real.detach()).mean()),
            "d_fake": float(torch.sigmoid(out_fake.detach()).mean()),
        }

    def g_loss(self, ctx: StepContext):
        x, y = self._pairs(ctx)
        fake = self._fake(ctx, x, keep_stats=False)
        with ctx.autocast():
            out = ctx.f["D"](torch.cat([x, self._shown(ctx, fake, y)], 1)).float()
        gan = self._bce(out, True)
        if self.cfg["recon"] == "l2-masked":
            hole, region = self._region(ctx)
            w = hole + self.cfg["overlap_weight"] * (region - hole)  # 1 in the hole, 10 on its border
            l2 = (w * (fake - y) ** 2).sum() / (region.sum() * fake.shape[1])
            loss = self.cfg["adv_weight"] * gan + self.cfg["l2_weight"] * l2
            return loss, {"loss_g": float(loss.detach()), "loss_g_gan": float(gan.detach()), "l2": float(l2.detach())}
        l1 = (fake - y).abs().mean()
        loss = self.cfg["adv_weight"] * gan + self.cfg["l1_weight"] * l1
        return loss, {"loss_g": float(loss.detach()), "loss_g_gan": float(gan.detach()), "l1": float(l1.detach())}
