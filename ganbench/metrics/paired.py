"""What the paired metrics (psnr, ssim, lpips) share: the conventions of the pixels they compare, and
the summary of their per-pair values (mean, spread, bootstrap interval, the worst pairs).

Conventions, as options recorded in every record (`-O KEY=VALUE`):
- paired_data_range (255): the value range of the pixels; ganbench's inputs are uint8, so 255.
- paired_channel ("rgb"): "rgb" compares the three channels (SSIM: the mean of the per-channel
  SSIMs, as scikit-image's channel_axis); "y" compares the luma of ITU-R BT.601 as the
  super-resolution papers (MATLAB's rgb2ycbcr, scikit-image's rgb2ycbcr, BasicSR's to_y_channel):
  Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 for R, G, B in 0..255, so Y lies in [16, 235]
  and is compared with data range 255. Y is not rounded (BasicSR; MATLAB on uint8 rounds it).
- paired_crop (0): pixels cut from each border before comparing (SR papers crop the scale factor).
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import MetricValue, percentile_ci, with_defaults

OPTIONS = {"paired_data_range": 255.0, "paired_channel": "rgb", "paired_crop": 0}
Y_FROM_RGB = np.array([65.481, 128.553, 24.966]) / 255.0  # ITU-R BT.601 luma, on 0..255 RGB
WORST = 8  # pairs listed in the record as the worst


def validate(opts: dict) -> None:
    opts = with_defaults(opts)
    if opts["paired_channel"] not in ("rgb", "y"):
        raise GanbenchError(f"-O paired_channel={opts['paired_channel']}: expected rgb or y (the BT.601 luma)")
    if opts["paired_crop"] < 0:
        raise GanbenchError(f"-O paired_crop={opts['paired_crop']}: a border crop is 0 or more pixels")
    if not opts["paired_data_range"] > 0:
        raise GanbenchError(
            f"-O paired_data_range={opts['paired_data_range']}: the data range must be positive (255 for uint8 images)"
        )


def prepare(images: np.ndarray, opts: dict) -> np.ndarray:
    """uint8 (N,H,W,3) -> float64 (N,C,H,W): cropped, and reduced to Y when asked."""
    c = int(opts["paired_crop"])
    x = np.asarray(images, dtype=np.float64)
    if c:
        if x.shape[1] <= 2 * c or x.shape[2] <= 2 * c:
            raise GanbenchError(
                f"-O paired_crop={c} leaves nothing of {x.shape[1]}x{x.shape[2]} images: pass a smaller border crop"
            )
        x = x[:, c:-c, c:-c]
    if opts["paired_channel"] == "y":
        x = (16.0 + x @ Y_FROM_RGB)[..., None]
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def conventions(opts: dict, *extra: str) -> dict:
    """The options that decide a paired metric's numbers, as its record states them."""
    opts = with_defaults(opts)
    return {k: opts[k] for k in (*OPTIONS, *extra)}


def summarise(values, _unused, opts: dict, rng=None, *, better: str, names=None, extra=None) -> MetricValue:
    """Mean of the per-pair values; their spread as `std`; with --bootstrap, a percentile interval over
    resampled pairs (the mean is unbiased, so no bias shift); every value and the worst pairs in `extra`.
    An identical pair's PSNR is inf, and so is then the mean (records write it as the string "inf")."""
    opts = with_defaults(opts)
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        out = MetricValue(
            float(v.mean()),
            std=float(v[finite].std()) if finite.any() else None,
            std_of="spread of the per-pair values" + (" (finite ones)" if not finite.all() else ""),
        )
    if opts["bootstrap"] and rng is not None and len(v) > 1:
        # replicates in chunks: 1000 resamples of 50,000 pairs would be 400 MB of indices at once
        chunk = max(1, 2_000_000 // len(v))
        means = np.concatenate(
            [
                v[rng.integers(0, len(v), size=(min(chunk, opts["bootstrap"] - s), len(v)))].mean(1)
                for s in range(0, opts["bootstrap"], chunk)
            ]
        )
        if np.isfinite(means).all():
            out.ci = percentile_ci(means, opts["confidence"])
        else:  # replicates holding an identical pair: inf; order statistics, as interpolation gives nan
            a = (1 - opts["confidence"]) / 2
            lo, hi = np.quantile(means, [a, 1 - a], method="nearest")
            out.ci = (float(lo), float(hi))
        out.ci_method = "percentile bootstrap over resampled pairs"
    order = np.argsort(-v if better == "lower" else v, kind="stable")[:WORST]
    names = names if names is not None else [str(i) for i in range(len(v))]
    out.extra = {
        **(extra or {}),
        "per_pair": [float(x) for x in v],
        "worst": [{"pair": names[i], "index": int(i), "value": float(v[i])} for i in order],
    }
    return out
