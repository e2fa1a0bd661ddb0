"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric"),
v0.1, of each output against its target: AlexNet (the paper's recommended "forward" metric) or VGG16
features with the `lpips` package's linear layers (features/lpips_net.py). Images are read whole, in
RGB, mapped to [-1, 1] as lpips.im2tensor; no border crop and no Y channel (the paired_* options are
PSNR's and SSIM's). Matches `lpips.LPIPS(net="alex"|"vgg")` on the same weights (tests: 1e-6).

With backbone weights other than torchvision's ImageNet files (--lpips-weights FILE|random) every
output says NOT official: such numbers do not compare with published ones.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from . import paired
from .base import Metric, register, with_defaults

OPTIONS = {"lpips_net": "alex"}


def network(opts: dict, weights=None, device=None):
    """The LPIPS network for these options, built once per evaluation (kept in the options' memo)."""
    from ..features.lpips_net import LPIPS

    opts = with_defaults(opts)
    memo = opts["_memo"] if isinstance(opts.get("_memo"), dict) else {}
    if "lpips" not in memo:
        memo["lpips"] = LPIPS(opts["lpips_net"], weights=weights, device=device)
    return memo["lpips"]


def per_pair(outputs: np.ndarray, targets: np.ndarray, opts: dict) -> np.ndarray:
    return network(opts)(outputs, targets)


def validate(opts: dict) -> None:
    net = with_defaults(opts)["lpips_net"]
    if net not in ("alex", "vgg"):
        raise GanbenchError(f"-O lpips_net={net}: expected alex or vgg (the lpips package's squeeze is not offered)")


def compute(values, _unused, opts: dict, rng=None, names=None):
    net = with_defaults(opts).get("_memo", {}).get("lpips")
    extra = {"conventions": {"lpips_net": with_defaults(opts)["lpips_net"], "version": "0.1", "input": "rgb [-1, 1]"}}
    if net is not None:
        extra["official"] = net.official
    return paired.summarise(values, None, opts, rng, better="lower", names=names, extra=extra)


METRIC = register(
    Metric(
        name="lpips",
        summary="LPIPS v0.1 perceptual distance of each output to its target, AlexNet or VGG (lower is better; "
        "needs --target)",
        reference="lpips 0.1.4 LPIPS(net='alex'|'vgg', version='0.1')",
        needs=("pairs",),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute,
        bounds=(0.0, None),
        options=OPTIONS,
        validate=validate,
        extractor="pairs",
        better="lower",
        pairs=per_pair,
    )
)
