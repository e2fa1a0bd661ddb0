"""The general training options, one entry each: default, type, check, what is valid, help, and the objective
that reads it. The objective families' own options are in family_options.py; options.py joins the two and
resolves a configuration against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple, Union

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


def number(lo=None, hi=None, lo_open=False, hi_open=False):
    def ok(v):
        return (lo is None or (v > lo if lo_open else v >= lo)) and (hi is None or (v < hi if hi_open else v <= hi))

    return ok


def anything(_):
    return True


GENERAL: Dict[str, Option] = {
    "arch": Option("", str, lambda v: bool(v), "an architecture name (`ganbench list baselines`)", "architecture"),
    "data": Option(
        "", str, anything, "a data set name or path", "the data set trained on, unless --data says otherwise"
    ),
    "loss": Option(
        "bce",
        str,
        lambda v: v in LOSSES,
        " | ".join(LOSSES),
        "bce: non-saturating BCE (DCGAN); minimax: D as bce, G the saturating log(1 - D(G(z))); "
        "lsgan: least squares a=0 b=c=1 (Mao et al.); "
        "wasserstein: WGAN critic; hinge: SNGAN's",
    ),
    "z_dim": Option(128, int, number(1), "an integer >= 1", "latent dimension"),
    "steps": Option(100000, int, number(1), "an integer >= 1", "generator steps"),
    "n_dis": Option(1, int, number(1), "an integer >= 1", "discriminator steps per generator step"),
    "batch_size": Option(64, int, number(1), "an integer >= 1", "discriminator batch (real and fake each)"),
    "g_batch_size": Option(0, int, number(0), "an integer >= 0 (0: batch_size)", "generator batch"),
    "lr_g": Option(
        2e-4, float, number(0, lo_open=True), "a number > 0", "generator learning rate (TTUR: differs from lr_d)"
    ),
    "lr_d": Option(2e-4, float, number(0, lo_open=True), "a number > 0", "discriminator learning rate"),
    "beta1": Option(0.5, float, number(0, 1, hi_open=True), "a number in [0, 1)", "Adam beta1"),
    "beta2": Option(0.999, float, number(0, 1, hi_open=True), "a number in [0, 1)", "Adam beta2"),
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
        number(0, 1, hi_open=True),
        "a number in [0, 1)",
        "lr_schedule=linear: constant for this fraction of `steps`, then linear to 0 at `steps` "
        "(CycleGAN's niter 100 of niter + niter_decay 200 epochs: 0.5); step: where the lr drops",
    ),
    "lr_step_factor": Option(
        0.1,
        float,
        number(0, 1, lo_open=True, hi_open=True),
        "a number in (0, 1)",
        "lr_schedule=step: the lr's factor from lr_decay_start x steps on (SRGAN: 1e-4 -> 1e-5)",
    ),
    "ema": Option(0.0, float, number(0, 1, hi_open=True), "a number in [0, 1) (0: off)", "EMA decay of G's weights"),
    "ema_buffers": Option(
        "copy",
        str,
        lambda v: v in ("copy", "average"),
        "copy | average",
        "G's BN statistics in its EMA copy: copied, or averaged with the weights' decay (StudioGAN)",
    ),
    "adam_eps": Option(
        1e-8, float, number(0, lo_open=True), "a number > 0", "Adam's eps (torch's 1e-8; StudioGAN 1e-6)", "adversarial"
    ),
    "hflip": Option(False, bool, anything, "true | false", "flip each real image left-right with p 0.5 (StudioGAN)"),
    "ema_start": Option(0, int, number(0), "an integer >= 0", "generator step from which the EMA averages"),
    "spectral_norm": Option(False, bool, anything, "true | false", "spectral norm on every D layer (Miyato et al.)"),
    "gp": Option(0.0, float, number(0), "a number >= 0 (0: off)", "gradient penalty weight (WGAN-GP: 10)"),
    "r1": Option(0.0, float, number(0), "a number >= 0 (0: off)", "R1 penalty gamma on real data (Mescheder et al.)"),
    "weight_decay": Option(
        0.0, float, number(0), "a number >= 0 (0: off)", "L2 regularisation of D (the optimizer's weight_decay)"
    ),
    "l1": Option(
        0.0,
        float,
        number(0),
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
        number(0, 0.5, hi_open=True),
        "a number in [0, 0.5)",
        "one-sided: real target 1 - s (Salimans et al.); bce, minimax and lsgan",
    ),
    "label_flip": Option(
        0.0,
        float,
        number(0, 0.5, hi_open=True),
        "a number in [0, 0.5)",
        "probability that a D sample's real/fake target is swapped (noisy labels); bce and lsgan",
    ),
    "instance_noise": Option(
        0.0,
        float,
        number(0),
        "a number >= 0 (0: off)",
        "std of Gaussian noise on D's inputs, annealed linearly to 0 (Sonderby et al.)",
    ),
    "mbdisc": Option(
        0, int, number(0), "an integer >= 0 (0: off)", "minibatch discrimination kernels (Salimans et al.: 100)"
    ),
    "mbstd": Option(0, int, number(0), "an integer >= 0 (0: off)", "minibatch std group size (Karras et al.: 4)"),
    "dequantize": Option(
        False, bool, anything, "true | false", "add U(0, 1/128) to real images (pytorch-gan-collections)"
    ),
    "unrolled": Option(
        0,
        int,
        number(0),
        "an integer >= 0 (0: off)",
        "the generator's loss through K look-ahead D steps (Metz et al. 2017: 5, 10)",
    ),
    "conditional": Option(False, bool, anything, "true | false", "class-conditional G and projection D (needs labels)"),
    "ortho_reg": Option(
        0.0,
        float,
        number(0),
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
    "ada_target": Option(0.6, float, number(0, 1), "a number in [0, 1]", "ADA's target r_t (Karras et al. 2020: 0.6)"),
    "ada_interval": Option(4, int, number(1), "an integer >= 1", "ADA: adjust p every this many steps (reference: 4)"),
    "ada_kimg": Option(
        500.0,
        float,
        number(0),
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
        number(0),
        "a number >= 0 (0: off)",
        "adversarial: clip D's weights to [-c, c] after each D step (WGAN, Arjovsky et al.: 0.01)",
        "adversarial",
    ),
}
