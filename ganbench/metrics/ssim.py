"""SSIM (Wang et al. 2004) of each output against its target: an 11x11 Gaussian window of sigma 1.5,
K1 0.01, K2 0.03, C = (K R)^2 with R the data range (255), population (not sample) covariances, the
SSIM map kept where the window fits inside the image ('valid', as Wang's ssim_index.m) and averaged;
RGB: the mean of the three channels' SSIMs. Crop and channel conventions: metrics/paired.py.

Matches scikit-image's `structural_similarity(target, output, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=255, channel_axis=-1)` (its Gaussian filter truncates at 3.5
sigma: the same 11 taps; it filters with reflection and then cuts 5 pixels, which leaves the valid
part): tests, to 1e-10 (measured 4e-15). piq.ssim(data_range=255) agrees (1e-14) on images under 384
pixels; from there it average-pools them first (downsample=True) unless told not to, and its default
data_range is 1.0. torchmetrics 1.9's structural_similarity_index_measure uses the same window but
averages the SSIM map over the reflect-padded border as well (no valid crop): 0.06-0.2 higher or lower
on 32x32 images, ~0.01 on 128x128 (benchmarks/paired_agreement.py). Identical images give exactly 1.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from . import paired
from .base import Metric, register, with_defaults

OPTIONS = {"ssim_window": 11, "ssim_sigma": 1.5, "ssim_k1": 0.01, "ssim_k2": 0.03}


def gaussian_window(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


def per_pair(outputs: np.ndarray, targets: np.ndarray, opts: dict) -> np.ndarray:
    opts = with_defaults(opts)
    a, b = paired.prepare(outputs, opts), paired.prepare(targets, opts)
    size = int(opts["ssim_window"])
    if a.shape[2] < size or a.shape[3] < size:
        raise GanbenchError(
            f"SSIM's {size}x{size} window does not fit {a.shape[2]}x{a.shape[3]} images"
            f"{' after the border crop' if opts['paired_crop'] else ''}: pass -O ssim_window=N "
            f"with a smaller odd N (and a matching -O ssim_sigma)"
        )
    return ssim_map(a, b, opts).mean(dim=(2, 3)).mean(1).numpy()  # per channel, then the channels' mean


def ssim_map(a: np.ndarray, b: np.ndarray, opts: dict, same: bool = False):
    """The SSIM map (a float64 tensor) of float64 (N, C, H, W) images: 'valid' windows only, or with `same`
    one value per pixel, the images mirrored at the border first (numpy's 'symmetric', scipy's 'reflect': what
    scikit-image's structural_similarity(full=True) returns)."""
    import torch

    opts = with_defaults(opts)
    size = int(opts["ssim_window"])
    if same:
        r = size // 2
        a, b = (np.pad(t, ((0, 0), (0, 0), (r, r), (r, r)), mode="symmetric") for t in (a, b))
    ch = a.shape[1]
    g = torch.from_numpy(gaussian_window(size, float(opts["ssim_sigma"])))
    wy, wx = g.view(1, 1, size, 1).repeat(ch, 1, 1, 1), g.view(1, 1, 1, size).repeat(ch, 1, 1, 1)

    def blur(t):  # separable Gaussian, 'valid' region only
        return torch.nn.functional.conv2d(torch.nn.functional.conv2d(t, wy, groups=ch), wx, groups=ch)

    x, y = torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(np.ascontiguousarray(b))
    span = float(opts["paired_data_range"])
    c1, c2 = (opts["ssim_k1"] * span) ** 2, (opts["ssim_k2"] * span) ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s


def validate(opts: dict) -> None:
    paired.validate(opts)
    o = with_defaults(opts)
    if o["ssim_window"] < 1 or o["ssim_window"] % 2 == 0:
        raise GanbenchError(f"-O ssim_window={o['ssim_window']}: the window is an odd number of pixels (11)")
    if not o["ssim_sigma"] > 0:
        raise GanbenchError(f"-O ssim_sigma={o['ssim_sigma']}: sigma must be positive (1.5)")


def compute(values, _unused, opts: dict, rng=None, names=None):
    return paired.summarise(
        values, None, opts, rng, better="higher", names=names, extra={"conventions": paired.conventions(opts, *OPTIONS)}
    )


METRIC = register(
    Metric(
        name="ssim",
        summary="Structural similarity of each output with its target, Gaussian 11x11 sigma 1.5 (higher is better; "
        "needs --target)",
        reference="scikit-image structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)",
        needs=("pairs",),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute,
        options={**paired.OPTIONS, **OPTIONS},
        validate=validate,
        extractor="pairs",
        better="higher",
        bounds=(-1.0, 1.0),
        pairs=per_pair,
    )
)
