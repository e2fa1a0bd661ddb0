"""Every training option, in one table: the baselines' `[train]` sections, `--set key=value` and
`ganbench.train(..., set={...})` all go through `resolve`, so an unknown key or a bad value is the
same one-line error everywhere, listing what is valid."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Union

from ..errors import GanbenchError
from .objectives import OBJECTIVES

LOSSES = ("bce", "minimax", "lsgan", "wasserstein", "hinge")
SCHEDULES = ("constant", "linear", "step")
AUGMENTS = ("none", "diffaugment", "ada")  # train/augment/
OPTIMIZERS = ("adam", "rmsprop")
CRITIC_SCHEDULES = ("constant", "wgan")


@dataclass(frozen=True)
class Option:
    default: Any
    kind: type
    check: Callable[[Any], bool]
    valid: str  # what `check` accepts, for the error message
    help: str
    objective: Union[str, Tuple[str, ...]] = ""  # the objective(s) that read it ("": all); set elsewhere: an error


def _num(lo=None, hi=None, lo_open=False, hi_open=False):
    def ok(v):
        return (lo is None or (v > lo if lo_open else v >= lo)) and (hi is None or (v < hi if hi_open else v <= hi))

    return ok


def _any(_):
    return True


OPTIONS: Dict[str, Option] = {
    "arch": Option("", str, lambda v: bool(v), "an architecture name (`ganbench list baselines`)", "architecture"),
    "data": Option("", str, _any, "a data set name or path", "the data set trained on, unless --data says otherwise"),
    "loss": Option(
        "bce",
        str,
        lambda v: v in LOSSES,
        " | ".join(LOSSES),
        "bce: non-saturating BCE (DCGAN); minimax: D as bce, G the saturating log(1 - D(G(z))); lsgan: least squares a=0 b=c=1 (Mao et al.); "
        "wasserstein: WGAN critic; hinge: SNGAN's",
    ),
    "z_dim": Option(128, int, _num(1), "an integer >= 1", "latent dimension"),
    "steps": Option(100000, int, _num(1), "an integer >= 1", "generator steps"),
    "n_dis": Option(1, int, _num(1), "an integer >= 1", "discriminator steps per generator step"),
    "batch_size": Option(64, int, _num(1), "an integer >= 1", "discriminator batch (real and fake each)"),
    "g_batch_size": Option(0, int, _num(0), "an integer >= 0 (0: batch_size)", "generator batch"),
    "lr_g": Option(
        2e-4, float, _num(0, lo_open=True), "a number > 0", "generator learning rate (TTUR: differs from lr_d)"
    ),
    "lr_d": Option(2e-4, float, _num(0, lo_open=True), "a number > 0", "discriminator learning rate"),
    "beta1": Option(0.5, float, _num(0, 1, hi_open=True), "a number in [0, 1)", "Adam beta1"),
    "beta2": Option(0.999, float, _num(0, 1, hi_open=True), "a number in [0, 1)", "Adam beta2"),
    "lr_schedule": Option(
        "constant",
        str,
        lambda v: v in SCHEDULES,
        " | ".join(SCHEDULES),
        "linear: decay to 0 over `steps` (SNGAN), from lr_decay_start x steps; step: times lr_step_factor "
        "from lr_decay_start x steps on (SRGAN)",
    ),
    "lr_decay_start": Option(
        0.0,
        float,
        _num(0, 1, hi_open=True),
        "a number in [0, 1)",
        "lr_schedule=linear: constant for this fraction of `steps`, then linear to 0 at `steps` "
        "(CycleGAN's niter 100 of niter + niter_decay 200 epochs: 0.5); step: where the lr drops",
    ),
    "lr_step_factor": Option(
        0.1,
        float,
        _num(0, 1, lo_open=True, hi_open=True),
        "a number in (0, 1)",
        "lr_schedule=step: the lr's factor from lr_decay_start x steps on (SRGAN: 1e-4 -> 1e-5)",
    ),
    "ema": Option(0.0, float, _num(0, 1, hi_open=True), "a number in [0, 1) (0: off)", "EMA decay of G's weights"),
    "ema_buffers": Option(
        "copy",
        str,
        lambda v: v in ("copy", "average"),
        "copy | average",
        "G's BN statistics in its EMA copy: copied, or averaged with the weights' decay (StudioGAN)",
    ),
    "adam_eps": Option(
        1e-8, float, _num(0, lo_open=True), "a number > 0", "Adam's eps (torch's 1e-8; StudioGAN 1e-6)", "adversarial"
    ),
    "hflip": Option(False, bool, _any, "true | false", "flip each real image left-right with p 0.5 (StudioGAN)"),
    "ema_start": Option(0, int, _num(0), "an integer >= 0", "generator step from which the EMA averages"),
    "spectral_norm": Option(False, bool, _any, "true | false", "spectral norm on every D layer (Miyato et al.)"),
    "gp": Option(0.0, float, _num(0), "a number >= 0 (0: off)", "gradient penalty weight (WGAN-GP: 10)"),
    "r1": Option(0.0, float, _num(0), "a number >= 0 (0: off)", "R1 penalty gamma on real data (Mescheder et al.)"),
    "weight_decay": Option(
        0.0, float, _num(0), "a number >= 0 (0: off)", "L2 regularisation of D (the optimizer's weight_decay)"
    ),
    "l1": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "adversarial: L1 regularisation of D, l1 * sum |w| over D's parameters added to D's loss",
        "adversarial",
    ),
    "optimizer": Option(
        "adam",
        str,
        lambda v: v in OPTIMIZERS,
        " | ".join(OPTIMIZERS),
        "adversarial: adam (beta1, beta2) or rmsprop (torch defaults alpha 0.99, eps 1e-8: WGAN's "
        "optim.RMSprop(lr)) for G and D",
        "adversarial",
    ),
    "label_smoothing": Option(
        0.0,
        float,
        _num(0, 0.5, hi_open=True),
        "a number in [0, 0.5)",
        "one-sided: real target 1 - s (Salimans et al.); bce, minimax and lsgan",
    ),
    "label_flip": Option(
        0.0,
        float,
        _num(0, 0.5, hi_open=True),
        "a number in [0, 0.5)",
        "probability that a D sample's real/fake target is swapped (noisy labels); bce and lsgan",
    ),
    "instance_noise": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "std of Gaussian noise on D's inputs, annealed linearly to 0 (Sonderby et al.)",
    ),
    "mbdisc": Option(
        0, int, _num(0), "an integer >= 0 (0: off)", "minibatch discrimination kernels (Salimans et al.: 100)"
    ),
    "mbstd": Option(0, int, _num(0), "an integer >= 0 (0: off)", "minibatch std group size (Karras et al.: 4)"),
    "dequantize": Option(False, bool, _any, "true | false", "add U(0, 1/128) to real images (pytorch-gan-collections)"),
    "unrolled": Option(
        0,
        int,
        _num(0),
        "an integer >= 0 (0: off)",
        "the generator's loss through K look-ahead D steps (Metz et al. 2017: 5, 10)",
    ),
    "conditional": Option(False, bool, _any, "true | false", "class-conditional G and projection D (needs labels)"),
    "ortho_reg": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "BigGAN's orthogonal regularisation of G, BigGAN-PyTorch's --G_ortho (regularizers.ortho_)",
        "adversarial",
    ),
    "objective": Option(
        "adversarial",
        str,
        lambda v: v in OBJECTIVES,
        " | ".join(OBJECTIVES),
        "the training family (train/objectives/): its networks, phases and losses",
    ),
    "augment": Option(
        "none",
        str,
        lambda v: v in AUGMENTS,
        " | ".join(AUGMENTS),
        "augmentation of every image D sees, real and fake (DiffAugment, ADA)",
    ),
    "diffaugment_policy": Option(
        "color,translation,cutout",
        str,
        lambda v: bool(v) and set(v.split(",")) <= {"color", "translation", "cutout"},
        "a comma list of color, translation, cutout",
        "DiffAugment's policy (Zhao et al. 2020: color,translation,cutout for CIFAR-10)",
    ),
    "ada_target": Option(0.6, float, _num(0, 1), "a number in [0, 1]", "ADA's target r_t (Karras et al. 2020: 0.6)"),
    "ada_interval": Option(4, int, _num(1), "an integer >= 1", "ADA: adjust p every this many steps (reference: 4)"),
    "ada_kimg": Option(
        500.0,
        float,
        _num(0),
        "a number > 0",
        "ADA: p can go from 0 to 1 in this many thousand real images (reference: 500)",
    ),
    "critic_schedule": Option(
        "constant",
        str,
        lambda v: v in CRITIC_SCHEDULES,
        " | ".join(CRITIC_SCHEDULES),
        "adversarial: D steps per G step; constant: n_dis; wgan: 100 while G steps < 25 and "
        "at every 500th, n_dis otherwise (WassersteinGAN's main.py)",
        "adversarial",
    ),
    "weight_clip": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "adversarial: clip D's weights to [-c, c] after each D step (WGAN, Arjovsky et al.: 0.01)",
        "adversarial",
    ),
    # StyleGAN2 (Karras et al. 2020; stylegan2-ada-pytorch's training/loss.py and training_loop.py)
    "d_reg_interval": Option(
        16, int, _num(1), "an integer >= 1", "stylegan2: R1 (gamma = r1) every k steps, weight x k", "stylegan2"
    ),
    "g_reg_interval": Option(
        4,
        int,
        _num(1),
        "an integer >= 1",
        "stylegan2: path-length regularisation every k steps, weight x k",
        "stylegan2",
    ),
    "pl_weight": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "stylegan2: path-length regularisation weight (paper: 2)",
        "stylegan2",
    ),
    "pl_decay": Option(
        0.01, float, _num(0, 1), "a number in [0, 1]", "stylegan2: decay of the running path-length mean", "stylegan2"
    ),
    "pl_batch_shrink": Option(
        2, int, _num(1), "an integer >= 1", "stylegan2: the path-length batch is the batch / this", "stylegan2"
    ),
    "style_mixing": Option(
        0.0, float, _num(0, 1), "a number in [0, 1]", "stylegan2: style mixing probability (paper: 0.9)", "stylegan2"
    ),
    "ema_kimg": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: no EMA)",
        "stylegan2: G_ema half-life in thousands of images (StyleGAN2: 10; cifar config: 500)",
        "stylegan2",
    ),
    "ema_rampup": Option(
        0.0,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "stylegan2: EMA half-life at most this x the images seen (cifar config: 0.05)",
        "stylegan2",
    ),
    # Pix2Pix (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's pix2pix_model.py)
    "l1_weight": Option(
        100.0, float, _num(0), "a number >= 0", "paired: weight of the L1 loss |G(x) - y| (lambda_L1: 100)", "paired"
    ),
    # Context encoder (Pathak et al. 2016; pathak22/context-encoder's train.lua): recon=l2-masked
    "recon": Option(
        "l1",
        str,
        lambda v: v in ("l1", "l2-masked"),
        "l1 | l2-masked",
        "paired: reconstruction loss, L1 over the image (pix2pix) or L2 over the hole and its overlap "
        "border (context encoder; the data's `mask`)",
        "paired",
    ),
    "l2_weight": Option(
        0.999, float, _num(0), "a number >= 0", "paired, recon=l2-masked: weight of the L2 loss (wtl2)", "paired"
    ),
    "adv_weight": Option(
        1.0,
        float,
        _num(0),
        "a number >= 0",
        "paired and superres: weight of G's adversarial loss (context encoder: 1 - wtl2 = 0.001; "
        "SRGAN: 1e-3; superres with 0 trains G alone, SRResNet)",
        ("paired", "superres"),
    ),
    "overlap": Option(
        1,
        int,
        _num(0),
        "an integer >= 0",
        "paired, recon=l2-masked: the border around the hole that G predicts too (overlapPred, scaled)",
        "paired",
    ),
    "overlap_weight": Option(
        10.0,
        float,
        _num(0),
        "a number >= 0",
        "paired, recon=l2-masked: the L2 weight on the overlap border relative to the hole (overlapL2Weight)",
        "paired",
    ),
    # CycleGAN (Zhu et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's cycle_gan_model.py)
    "lambda_a": Option(
        10.0, float, _num(0), "a number >= 0", "cycle: weight of the A -> B -> A cycle loss (lambda_A)", "cycle"
    ),
    "lambda_b": Option(
        10.0, float, _num(0), "a number >= 0", "cycle: weight of the B -> A -> B cycle loss (lambda_B)", "cycle"
    ),
    "lambda_identity": Option(
        0.5,
        float,
        _num(0),
        "a number >= 0 (0: off)",
        "cycle: identity loss weight relative to the cycle weight of the domain (lambda_identity)",
        "cycle",
    ),
    "pool_size": Option(
        50,
        int,
        _num(0),
        "an integer >= 0 (0: no pool)",
        "cycle: fakes kept in each image pool that D is also shown (pool_size)",
        "cycle",
    ),
    # SRResNet / SRGAN (Ledig et al. 2017; objectives/superres.py)
    "content": Option(
        "mse",
        str,
        lambda v: v in ("mse", "vgg54"),
        "mse | vgg54",
        "superres: G's content loss, pixel MSE (SRResNet) or MSE of VGG19's relu5_4 features / 12.75 (SRGAN)",
        "superres",
    ),
    "vgg_weights": Option(
        "",
        str,
        _any,
        "a file, random, or empty (torchvision's vgg19-dcbb9e9d.pth from the cache)",
        "superres: VGG19 ImageNet weights of content=vgg54; random: NOT official",
        "superres",
    ),
    "init_g": Option(
        "",
        str,
        _any,
        "a run folder or empty",
        "superres: start G from this run's last G (SRGAN from SRResNet)",
        "superres",
    ),
}


def _coerce(key: str, value, where: str):
    opt, given = OPTIONS[key], value
    if isinstance(value, str) and opt.kind is not str:
        text = value.strip().lower()
        if opt.kind is bool:
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}")
            return text in ("true", "1", "yes")
        try:
            value = opt.kind(float(text)) if opt.kind is int and float(text).is_integer() else opt.kind(text)
        except ValueError:
            raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}") from None
    if opt.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if opt.kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, opt.kind) or (opt.kind is not bool and isinstance(value, bool)) or not opt.check(value):
        raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}")
    return value


def _unknown(key: str, where: str) -> GanbenchError:
    return GanbenchError(f"{where}: unknown option {key!r}; valid options are {', '.join(OPTIONS)}")


def parse_sets(pairs: Iterable[str]) -> Dict[str, str]:
    """`--set key=value` strings -> {key: value text}."""
    out = {}
    for p in pairs or ():
        key, sep, value = p.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise GanbenchError(f"--set {p!r}: expected key=value, e.g. --set ema=0.999")
        out[key] = value
    return out


def resolve(train: dict, overrides: Optional[dict] = None, where: str = "baseline") -> Dict[str, Any]:
    """Defaults <- the baseline's [train] <- overrides, each value checked; then cross-checks."""
    cfg = {k: o.default for k, o in OPTIONS.items()}
    for source, label in ((train, where), (overrides or {}, "--set")):
        for key, value in source.items():
            if key not in OPTIONS:
                raise _unknown(key, label)
            cfg[key] = _coerce(key, value, label)
    if cfg["loss"] in ("wasserstein", "hinge"):
        for key in ("label_smoothing", "label_flip"):
            if cfg[key]:
                raise GanbenchError(
                    f"{key} applies to the bce and lsgan losses, not {cfg['loss']}: "
                    f"--set {key}=0 or pick --set loss=bce"
                )
    if cfg["unrolled"]:
        for key in ("gp", "r1", "l1"):
            if cfg[key]:
                raise GanbenchError(
                    f"unrolled={cfg['unrolled']} looks ahead with D's loss alone, not the {key} "
                    f"penalty: --set {key}=0 or --set unrolled=0"
                )
        if cfg["critic_schedule"] != "constant":
            raise GanbenchError(
                f"unrolled={cfg['unrolled']} looks ahead over n_dis D batches, not the "
                f"{cfg['critic_schedule']} critic schedule: --set critic_schedule=constant or --set unrolled=0"
            )
        if cfg["optimizer"] != "adam":
            raise GanbenchError(
                f"unrolled={cfg['unrolled']} looks ahead with Adam's update, not {cfg['optimizer']}'s: "
                "--set optimizer=adam or --set unrolled=0"
            )
    for key, opt in OPTIONS.items():
        owners = (opt.objective,) if isinstance(opt.objective, str) else opt.objective
        if opt.objective and cfg["objective"] not in owners and cfg[key] != opt.default:
            raise GanbenchError(
                f"{key} belongs to objective={' | '.join(owners)}, not {cfg['objective']}: "
                f"--set {key}={opt.default} or --set objective={owners[0]}"
            )
    if cfg["lr_decay_start"] and cfg["lr_schedule"] == "constant":
        raise GanbenchError(
            f"lr_decay_start={cfg['lr_decay_start']} is where a linear decay starts or a step drops the lr: "
            "--set lr_schedule=linear or step, or --set lr_decay_start=0"
        )
    if cfg["lr_schedule"] == "step" and not cfg["lr_decay_start"]:
        raise GanbenchError(
            "lr_schedule=step drops the lr at lr_decay_start x steps: pass e.g. --set lr_decay_start=0.5"
        )
    if cfg["lr_step_factor"] != OPTIONS["lr_step_factor"].default and cfg["lr_schedule"] != "step":
        raise GanbenchError(
            f"lr_step_factor={cfg['lr_step_factor']} is the factor of lr_schedule=step: --set lr_schedule=step"
        )
    if cfg["g_batch_size"] == 0:
        cfg["g_batch_size"] = cfg["batch_size"]
    return cfg


def changed(cfg: dict) -> Dict[str, Any]:
    """The options that differ from the table's defaults (what `ganbench list` and records show)."""
    return {k: v for k, v in cfg.items() if v != OPTIONS[k].default}


# options added after runs were recorded: at their default they are left out of the hash, and a run saved
# without them reads as having the default, so earlier runs keep their hash and resume unchanged
LATER = (
    "unrolled",
    "ortho_reg",
    "objective",
    "augment",
    "diffaugment_policy",
    "ada_target",
    "ada_interval",
    "ada_kimg",
    "weight_clip",
    "d_reg_interval",
    "g_reg_interval",
    "pl_weight",
    "pl_decay",
    "pl_batch_shrink",
    "style_mixing",
    "ema_kimg",
    "ema_rampup",
    "l1_weight",
    "l1",
    "optimizer",
    "critic_schedule",
    "recon",
    "l2_weight",
    "adv_weight",
    "overlap",
    "overlap_weight",
    "content",
    "vgg_weights",
    "init_g",
    "lr_decay_start",
    "lambda_a",
    "lambda_b",
    "lambda_identity",
    "pool_size",
    "ema_buffers",
    "adam_eps",
    "hflip",
    "lr_step_factor",
)


def _canonical(cfg: dict) -> dict:
    return {k: v for k, v in cfg.items() if not (k in LATER and v == OPTIONS[k].default)}


def config_hash(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(_canonical(cfg), sort_keys=True).encode()).hexdigest()


def differing(a: dict, b: dict) -> Tuple[str, ...]:
    a, b = _canonical(a), _canonical(b)
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))
