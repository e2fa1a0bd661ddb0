"""Super-resolution: SRResNet and SRGAN (Ledig et al. 2017, Photo-Realistic Single Image
Super-Resolution Using a Generative Adversarial Network, CVPR), as
sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution@c30556b trains them (train_srresnet.py, train_srgan.py):

- srresnet (adv_weight 0): G alone, loss = pixel MSE between G(x) and the high-resolution y ("SRResNet-MSE").
- srgan (adv_weight 1e-3, content vgg54): each step, G first: fake = G(x), loss = content + adv_weight *
  BCE(D(fake), real), content = MSE of VGG19's phi_5,4 features (train/vgg.py, scaled by 1/12.75 as the
  paper; the reference leaves them unscaled); then D on the same fake (detached, the tensor G's phase
  made: not recomputed with G's updated weights, as the reference) and y: BCE(D(fake), 0) + BCE(D(y), 1),
  summed (not halved).
- Adam(lr, betas (beta1, beta2)) per network (the paper: lr 1e-4, 1e-5 for SRGAN's second 1e5 steps,
  srgan.toml's lr_schedule=step;
  the reference: torch's default betas (0.9, 0.999)); G starts from `init_g`'s last G when given (SRGAN
  from a trained SRResNet, the paper's and the reference's way).

Nothing here draws random numbers (no dropout, no noise): the batch comes from TrainData.pairs, so a
resumed run continues bit for bit. The fake kept between G's and D's phases lives within one step."""

from __future__ import annotations

import sys
from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from ...errors import GanbenchError
from .. import models
from ..context import StepContext
from .base import Objective, Phase

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


class SuperRes(Objective):
    name = "superres"

    def __init__(self, cfg: dict):
        super().__init__(cfg)
        self.vgg: Optional[torch.nn.Module] = None
        self.vgg_info: Optional[dict] = None
        self._kept: Tuple[Optional[int], Optional[torch.Tensor]] = (None, None)

    @property
    def adversarial(self) -> bool:
        return self.cfg["adv_weight"] > 0

    def check(self, world: int) -> None:
        self.refuse_unused(_NOT_HERE)
        self.require_single_step("BCE for its adversarial term")

    def build(self, cfg, seed, num_classes, device, channels_last, sync_bn) -> models.Nets:
        G, D, arch = models.networks(cfg, seed, 0, device, channels_last, sync_bn)
        if "scale" not in arch.extra:
            raise GanbenchError(
                f"objective=superres trains a super-resolution architecture (srresnet-x2, srresnet-x4); "
                f"{arch.name} is not one: pick the srresnet or srgan baseline"
            )
        if cfg["init_g"]:
            self._init_from(G, cfg["init_g"], arch.name)
        if cfg["content"] != "vgg54" and cfg["vgg_weights"]:
            raise GanbenchError("vgg_weights is read by content=vgg54 only: leave it out, or --set content=vgg54")
        nets = {"G": G, **({"D": D} if self.adversarial else {})}
        if cfg["ema"]:
            nets["G_ema"] = models.ema_copy(G)
        betas = (cfg["beta1"], cfg["beta2"])
        opts = {"opt_g": torch.optim.Adam(G.parameters(), lr=cfg["lr_g"], betas=betas)}
        base_lr = {"opt_g": cfg["lr_g"]}
        if self.adversarial:
            opts["opt_d"] = torch.optim.Adam(
                D.parameters(), lr=cfg["lr_d"], betas=betas, weight_decay=cfg["weight_decay"]
            )
            base_lr["opt_d"] = cfg["lr_d"]
        return models.Nets(nets, opts, arch, ema={"G_ema": "G"} if cfg["ema"] else {}, base_lr=base_lr)

    @staticmethod
    def _init_from(G: torch.nn.Module, run_dir: str, arch: str) -> None:
        from .. import runs
        from ..sampling import load_generator

        source = runs.read(run_dir)["config"]["arch"]
        if source != arch:
            raise GanbenchError(
                f"--set init_g={run_dir}: that run trained {source}, this one {arch}: start from a run of {arch}"
            )
        src, _info = load_generator(run_dir, "last", ema=False)
        G.load_state_dict(src.state_dict())

    def _content_net(self, device):
        """VGG19 for content=vgg54, loaded on first use (the trainer's objective is not the one that built
        the networks, and sampling builds them without needing it)."""
        if self.vgg is None:
            from .. import vgg

            self.vgg, info = vgg.load(self.cfg["vgg_weights"], device)
            self.vgg_info = info
            if not info["official"]:
                print(
                    f"ganbench: warning: VGG19 weights {self.vgg_info['weights']} are NOT torchvision's ImageNet "
                    f"{vgg.NAME}: the content loss is not the paper's",
                    file=sys.stderr,
                )
        return self.vgg

    def describe(self) -> dict:
        if self.cfg["content"] != "vgg54":
            return {}
        self._content_net("cpu")
        return {"vgg19": self.vgg_info}

    def phases(self, step: int):
        out = [Phase("G", "opt_g", ("G",), self.g_loss, grad_norm="grad_norm_g")]
        if self.adversarial:
            out.append(Phase("D", "opt_d", ("D",), self.d_loss, grad_norm="grad_norm_d"))
        return out

    # -- phases ----------------------------------------------------------------------------------------
    def _pairs(self, ctx: StepContext):
        x, y = ctx.data.pairs(ctx.seed, ctx.step, self.cfg["batch_size"])
        return ctx.local(x), ctx.local(y)

    @staticmethod
    def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))

    def g_loss(self, ctx: StepContext):
        from .. import vgg

        x, y = self._pairs(ctx)
        with ctx.autocast():
            fake = ctx.f["G"](x).float()
        if self.cfg["content"] == "mse":
            content = F.mse_loss(fake, y)
        else:
            net = self._content_net(ctx.device).to(ctx.device)
            with ctx.autocast():
                content = F.mse_loss(vgg.features(net, fake).float(), vgg.features(net, y).float())
        stats = {"content": float(content.detach()), "mse": float(F.mse_loss(fake.detach(), y))}
        loss = content
        if self.adversarial:
            with ctx.autocast():
                out = ctx.f["D"](fake).float()
            adv = self._bce(out, True)
            loss = content + self.cfg["adv_weight"] * adv
            stats["loss_g_adv"] = float(adv.detach())
            self._kept = (ctx.step, fake.detach())
        return loss, {"loss_g": float(loss.detach()), **stats}

    def d_loss(self, ctx: StepContext):
        step, fake = self._kept
        if step != ctx.step:
            raise RuntimeError("superres: D's phase runs after G's in the same step")
        _, y = self._pairs(ctx)
        with ctx.autocast():  # the reference's order: fake, then real (D's batch-norm statistics)
            out_fake = ctx.f["D"](fake).float()
            out_real = ctx.f["D"](y).float()
        loss = self._bce(out_fake, False) + self._bce(out_real, True)
        self._kept = (None, None)
        return loss, {
            "loss_d": float(loss.detach()),
            "d_real": float(torch.sigmoid(out_real.detach()).mean()),
            "d_fake": float(torch.sigmoid(out_fake.detach()).mean()),
        }
