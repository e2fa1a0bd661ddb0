"""Canny edge maps (Canny 1986) in numpy/scipy, the inputs of `ganbench data edges`.

pix2pix's edges2shoes / edges2handbags drew their edges with HED (Xie & Tu 2015) plus post-processing; HED is
a trained network ganbench cannot fetch offline, so Canny stands in for it. The steps and their conventions are
scikit-image's `feature.canny` (mode 'constant', no mask), so the maps equal it pixel for pixel
(tests/test_edges.py) without needing scikit-image installed:

1. grey levels in [0, 1] smoothed by a Gaussian of `sigma` (truncated at 4 sigma), zero outside the image and
   renormalised by the smoothed all-ones image, so borders are not darkened;
2. Sobel gradients along rows and columns, magnitude their norm (a unit step gives 4);
3. non-maximum suppression along the gradient, the two neighbours linearly interpolated; the outermost
   row/column never an edge; magnitudes below `low` dropped;
4. hysteresis: an 8-connected run of survivors is kept if any of its pixels reaches `high`.

Defaults for 32x32 CIFAR images: sigma 1, low 0.3, high 0.6 (magnitude units, grey levels on [0, 1]; scikit-image's
own 0.1 / 0.2 keep most texture), which keep object outlines and drop much of the texture: 13.4% of pixels are
edges on the excerpt's 1,017 training images (0.4 / 0.8: 10.3%, losing low-contrast objects; 0.1 / 0.2: 19.9%).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..errors import GanbenchError

SIGMA, LOW, HIGH = 1.0, 0.3, 0.6


def canny(grey: np.ndarray, sigma: float = SIGMA, low: float = LOW, high: float = HIGH) -> np.ndarray:
    """Boolean edge map of a 2-D float image with values in [0, 1]."""
    grey = np.asarray(grey, dtype=np.float64)
    if grey.ndim != 2:
        raise GanbenchError(f"canny takes one greyscale image (H, W), not an array of shape {grey.shape}")
    if not (sigma >= 0 and 0 <= low <= high):
        raise GanbenchError(f"canny: need sigma >= 0 and 0 <= low <= high (got {sigma}, {low}, {high})")
    smooth = ndi.gaussian_filter(grey, sigma, mode="constant", cval=0.0, truncate=4.0)
    smooth /= (
        ndi.gaussian_filter(np.ones_like(grey), sigma, mode="constant", cval=0.0, truncate=4.0)
        + np.finfo(np.float64).eps
    )
    gi, gj = ndi.sobel(smooth, axis=0), ndi.sobel(smooth, axis=1)
    mag = np.sqrt(gi * gi + gj * gj)
    kept = _suppress(gi, gj, mag, low)
    labels, count = ndi.label(kept > 0, np.ones((3, 3), bool))
    if count == 0:
        return kept > 0
    good = np.zeros(count + 1, bool)
    good[np.unique(labels[kept >= high])] = True
    good[0] = False
    return good[labels]


def _suppress(gi, gj, mag, low):
    """Non-maximum suppression: `mag` where it is no smaller than both interpolated neighbours along the
    gradient and at least `low` (compared in single precision, as scikit-image passes it), else 0."""
    out = np.zeros_like(mag)
    h, w = mag.shape
    if h < 3 or w < 3:
        return out
    low = np.float32(low if low != 0 else 1e-14)  # 0 would keep flat pixels: the smallest positive instead
    c = (slice(1, -1), slice(1, -1))
    m, i, j = mag[c], gi[c], gj[c]

    def at(di, dj):  # magnitude shifted by (di, dj), aligned with the interior
        return mag[1 + di : h - 1 + di, 1 + dj : w - 1 + dj]

    ai, aj = np.abs(i), np.abs(j)
    same = (i > 0) == (j > 0)  # both gradients positive, or both <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # four sectors: (weight, first side's two neighbours, second side's two neighbours)
        sectors = [
            (same & (ai > aj), aj / ai, at(1, 0), at(1, 1), at(-1, 0), at(-1, -1)),
            (same & (ai <= aj), ai / aj, at(0, 1), at(1, 1), at(0, -1), at(-1, -1)),
            (~same & (ai < aj), ai / aj, at(0, 1), at(-1, 1), at(0, -1), at(1, -1)),
            (~same & (ai >= aj), aj / ai, at(-1, 0), at(-1, 1), at(1, 0), at(1, -1)),
        ]
        keep = np.zeros(m.shape, bool)
        for sel, wt, n11, n12, n21, n22 in sectors:
            plus = (n12 * wt + n11 * (1.0 - wt)) <= m
            minus = (n22 * wt + n21 * (1.0 - wt)) <= m
            keep |= sel & plus & minus
    keep &= m >= low
    out[c] = np.where(keep, m, 0.0)
    return out


def edge_maps(grey: np.ndarray, sigma: float = SIGMA, low: float = LOW, high: float = HIGH) -> np.ndarray:
    """(N, H, W) uint8 grey levels -> (N, H, W, 3) uint8 drawings: black (0) edges on white (255), as
    pix2pix's edges2shoes / edges2handbags show theirs."""
    out = np.full(grey.shape + (3,), 255, np.uint8)
    for k, g in enumerate(grey):
        out[k][canny(g / 255.0, sigma, low, high)] = 0
    return out
