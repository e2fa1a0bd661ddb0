"""PSNR of each output against its target: 10 log10(R^2 / MSE), MSE over every pixel and channel of the
pair (after the border crop, on RGB or BT.601 Y: metrics/paired.py), R the data range (255).

Matches scikit-image's `peak_signal_noise_ratio(target, output, data_range=255)` per pair (tests: to
1e-10 dB; measured 7e-15) and BasicSR's calculate_psnr with crop_border / test_y_channel. Reported: the
mean over pairs of the per-pair PSNRs, as SR papers do. Others (benchmarks/paired_agreement.py):
torchmetrics' peak_signal_noise_ratio by default pools the whole set's squared errors into one MSE
(0.004 dB from the mean of per-pair PSNRs on noisy CIFAR images; with dim=(1,2,3), reduction="none" it
is per image and agrees to 1e-6 dB); piq.psnr is per image but adds 1e-8 to the MSE (2.6e-5 dB), has
data_range 1.0 by default, and its convert_to_greyscale Y is 0.299 R + 0.587 G + 0.114 B without
BT.601's scaling and offset (1.3 dB away from the Y here). An identical pair's PSNR is inf (and so
is the mean then); records write it as the string "inf".
"""

from __future__ import annotations

import numpy as np

from . import paired
from .base import Metric, register, with_defaults


def per_pair(outputs: np.ndarray, targets: np.ndarray, opts: dict) -> np.ndarray:
    opts = with_defaults(opts)
    a, b = paired.prepare(outputs, opts), paired.prepare(targets, opts)
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(opts["paired_data_range"]) ** 2 / mse)


def compute(values, _unused, opts: dict, rng=None, names=None):
    v = np.asarray(values, dtype=np.float64)
    return paired.summarise(
        v,
        None,
        opts,
        rng,
        better="higher",
        names=names,
        extra={"identical_pairs": int(np.isposinf(v).sum()), "conventions": paired.conventions(opts)},
    )


METRIC = register(
    Metric(
        name="psnr",
        summary="Peak signal-to-noise ratio of each output against its target, in dB "
        "(higher is better; needs --target)",
        reference="scikit-image peak_signal_noise_ratio per pair, mean over pairs (BasicSR's Y/crop conventions)",
        needs=("pairs",),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute,
        options=dict(paired.OPTIONS),
        validate=paired.validate,
        extractor="pairs",
        better="higher",
        pairs=per_pair,
    )
)
