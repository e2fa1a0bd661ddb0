"""The options that one objective family reads (StyleGAN2, pix2pix and the context encoder, CycleGAN,
SRResNet/SRGAN), each naming its family, so that setting one under another objective is an error."""

from __future__ import annotations

from typing import Dict

from .option_table import Option, anything, number

FAMILY: Dict[str, Option] = {
    # StyleGAN2 (Karras et al. 2020; stylegan2-ada-pytorch's training/loss.py and training_loop.py)
    "d_reg_interval": Option(
        16, int, number(1), "an integer >= 1", "stylegan2: R1 (gamma = r1) every k steps, weight x k", "stylegan2"
    ),
    "g_reg_interval": Option(
        4,
        int,
        number(1),
        "an integer >= 1",
        "stylegan2: path-length regularisation every k steps, weight x k",
        "stylegan2",
    ),
    "pl_weight": Option(
        0.0,
        float,
        number(0),
        "a number >= 0 (0: off)",
        "stylegan2: path-length regularisation weight (paper: 2)",
        "stylegan2",
    ),
    "pl_decay": Option(
        0.01, float, number(0, 1), "a number in [0, 1]", "stylegan2: decay of the running path-length mean", "stylegan2"
    ),
    "pl_batch_shrink": Option(
        2, int, number(1), "an integer >= 1", "stylegan2: the path-length batch is the batch / this", "stylegan2"
    ),
    "style_mixing": Option(
        0.0, float, number(0, 1), "a number in [0, 1]", "stylegan2: style mixing probability (paper: 0.9)", "stylegan2"
    ),
    "ema_kimg": Option(
        0.0,
        float,
        number(0),
        "a number >= 0 (0: no EMA)",
        "stylegan2: G_ema half-life in thousands of images (StyleGAN2: 10; cifar config: 500)",
        "stylegan2",
    ),
    "ema_rampup": Option(
        0.0,
        float,
        number(0),
        "a number >= 0 (0: off)",
        "stylegan2: EMA half-life at most this x the images seen (cifar config: 0.05)",
        "stylegan2",
    ),
    # Pix2Pix (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's pix2pix_model.py)
    "l1_weight": Option(
        100.0, float, number(0), "a number >= 0", "paired: weight of the L1 loss |G(x) - y| (lambda_L1: 100)", "paired"
    ),
    "test_norm": Option(
        "running",
        str,
        lambda v: v in ("running", "input"),
        "running | input",
        "paired: batch norm when translating (`ganbench sample RUN --input`): running statistics (model.eval()), "
        "or each input's own, as with a batch of one (pix2pix's paper and test.py)",
        "paired",
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
        0.999, float, number(0), "a number >= 0", "paired, recon=l2-masked: weight of the L2 loss (wtl2)", "paired"
    ),
    "adv_weight": Option(
        1.0,
        float,
        number(0),
        "a number >= 0",
        "paired and superres: weight of G's adversarial loss (context encoder: 1 - wtl2 = 0.001; "
        "SRGAN: 1e-3; superres with 0 trains G alone, SRResNet)",
        ("paired", "superres"),
    ),
    "overlap": Option(
        1,
        int,
        number(0),
        "an integer >= 0",
        "paired, recon=l2-masked: the border around the hole that G predicts too (overlapPred, scaled)",
        "paired",
    ),
    "overlap_weight": Option(
        10.0,
        float,
        number(0),
        "a number >= 0",
        "paired, recon=l2-masked: the L2 weight on the overlap border relative to the hole (overlapL2Weight)",
        "paired",
    ),
    # CycleGAN (Zhu et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix's cycle_gan_model.py)
    "lambda_a": Option(
        10.0, float, number(0), "a number >= 0", "cycle: weight of the A -> B -> A cycle loss (lambda_A)", "cycle"
    ),
    "lambda_b": Option(
        10.0, float, number(0), "a number >= 0", "cycle: weight of the B -> A -> B cycle loss (lambda_B)", "cycle"
    ),
    "lambda_identity": Option(
        0.5,
        float,
        number(0),
        "a number >= 0 (0: off)",
        "cycle: identity loss weight relative to the cycle weight of the domain (lambda_identity)",
        "cycle",
    ),
    "pool_size": Option(
        50,
        int,
        number(0),
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
        anything,
        "a file, random, or empty (torchvision's vgg19-dcbb9e9d.pth from the cache)",
        "superres: VGG19 ImageNet weights of content=vgg54; random: NOT official",
        "superres",
    ),
    "init_g": Option(
        "",
        str,
        anything,
        "a run folder or empty",
        "superres: start G from this run's last G (SRGAN from SRResNet)",
        "superres",
    ),
}
