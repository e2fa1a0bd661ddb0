"""The image disturbances of Heusel et al. 2017 (TTUR, fig. 3), on (N,32,32,3) uint8 arrays, seeded.

Each takes (images, level, rng) and returns a new uint8 array of the same shape; level 0 is the
identity. Contamination is done on features (calibration.py mixes in outside images' features).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# level values per disturbance (the clean set is level 0 everywhere); units in LEVEL_UNITS
LEVELS = {
    "gaussian noise": [2, 4, 8, 16],
    "gaussian blur": [0.5, 1.0, 1.5, 2.0],
    "black rectangles": [1, 2, 4, 8],
    "swirl": [1, 2, 3, 5],
    "salt and pepper": [0.01, 0.03, 0.1, 0.2],
    "contamination": [0.1, 0.25, 0.5, 0.75],
}
LEVEL_UNITS = {
    "gaussian noise": "sigma (/255)",
    "gaussian blur": "sigma (pixels)",
    "black rectangles": "rectangles per image (sides 3-10 px)",
    "swirl": "strength (radius 16 px)",
    "salt and pepper": "fraction of pixels",
    "contamination": "fraction replaced by upscaled sklearn digits",
    "training copies": "fraction replaced by exact copies of training images",
}
# done on features too (the first k training images' features replace the last k samples): the case the
# memorisation metrics (ct, authpct, mifid, fld) exist for; only the issue-30 stage runs it
COPY_LEVELS = {"training copies": [0.1, 0.25, 0.5, 0.75]}


def gaussian_noise(x: np.ndarray, sigma: float, rng) -> np.ndarray:
    return np.clip(x + rng.normal(0.0, sigma, x.shape), 0, 255).round().astype(np.uint8)


def gaussian_blur(x: np.ndarray, sigma: float, rng=None) -> np.ndarray:
    if sigma == 0:
        return x.copy()
    out = ndimage.gaussian_filter(x.astype(np.float64), sigma=(0, sigma, sigma, 0), mode="reflect")
    return np.clip(out, 0, 255).round().astype(np.uint8)


def black_rectangles(x: np.ndarray, count: int, rng) -> np.ndarray:
    out = x.copy()
    h, w = x.shape[1:3]
    for img in out:
        for _ in range(int(count)):
            rh, rw = rng.integers(3, 11, 2)
            top, left = rng.integers(0, h - rh + 1), rng.integers(0, w - rw + 1)
            img[top : top + rh, left : left + rw] = 0
    return out


def swirl(x: np.ndarray, strength: float, rng=None, radius: float = 16.0) -> np.ndarray:
    """scikit-image's swirl (transform.swirl, rotation 0) about the image centre, bilinear, reflect."""
    if strength == 0:
        return x.copy()
    h, w = x.shape[1:3]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    y0, x0 = yy - cy, xx - cx
    rho = np.hypot(x0, y0)
    r = radius / 5 * np.log(2)  # skimage's scaling of the radius
    theta = strength * np.exp(-rho / r) + np.arctan2(y0, x0)
    src = [cy + rho * np.sin(theta), cx + rho * np.cos(theta)]
    out = np.empty_like(x)
    for i, img in enumerate(x.astype(np.float64)):
        for c in range(x.shape[3]):
            out[i, :, :, c] = np.clip(
                ndimage.map_coordinates(img[:, :, c], src, order=1, mode="reflect"), 0, 255
            ).round()
    return out


def salt_and_pepper(x: np.ndarray, fraction: float, rng) -> np.ndarray:
    out = x.copy()
    hit = rng.random(x.shape[:3]) < fraction
    salt = rng.random(x.shape[:3]) < 0.5
    out[hit & salt] = 255
    out[hit & ~salt] = 0
    return out


def outside_images(n: int, rng) -> np.ndarray:
    """(n,32,32,3) uint8: scikit-learn's 8x8 digits, upscaled (bilinear) to 32x32, grey, white on black."""
    from sklearn.datasets import load_digits

    digits = load_digits().images  # (1797, 8, 8) in 0..16
    pick = digits[rng.choice(len(digits), n, replace=False)]
    up = np.stack([ndimage.zoom(d, 4, order=1) for d in pick])
    up = np.clip(up / 16 * 255, 0, 255).round().astype(np.uint8)
    return np.repeat(up[..., None], 3, axis=3)


APPLY = {
    "gaussian noise": gaussian_noise,
    "gaussian blur": gaussian_blur,
    "black rectangles": black_rectangles,
    "swirl": swirl,
    "salt and pepper": salt_and_pepper,
}
