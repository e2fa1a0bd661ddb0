"""2-D Gaussian mixtures for measuring mode collapse: `ring` (8 modes) and `grid` (25 modes).

Pinned choices (isotropic components, equal weights):

* ring: 8 centres (R cos(2 pi k / 8), R sin(2 pi k / 8)), k = 0..7 (no duplicated centre at 2 pi),
  R = RING_RADIUS = 2, sigma = RING_SIGMA = 0.02 -- the VEEGAN setting (Srivastava et al. 2017,
  "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning", which follows the
  unrolled-GAN ring of Metz et al. 2017).  PacGAN's released code (fjxmlzn/PacGAN) uses R = 1,
  sigma = 0.01 instead: the same shape scaled by 1/2, so every metric below is identical.
* grid: 25 centres {-4, -2, 0, 2, 4}^2, sigma = GRID_SIGMA = 0.05 -- PacGAN (Lin et al. 2018,
  "PacGAN: The power of two samples in GANs"; variance 0.05^2 in its released 2D-grid config).
* DEFAULT_N = 2500 samples per evaluation, as in VEEGAN ("We generate 2500 samples from each
  trained model").

Metrics (VEEGAN / PacGAN): a sample is *high quality* when it lies within HQ_SIGMAS = 3 sigma of its
nearest centre (for a perfect sampler that is P(chi2_2 <= 9) = 1 - exp(-4.5) ~ 0.9889); a centre is
*covered* when it is the nearest centre of at least one high-quality sample; `reverse_kl` is
KL(p_gen || uniform) of the histogram of high-quality samples over the centres (see modes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional

import numpy as np

from ..errors import GanbenchError
from .io import check_n_seed, load_array
from .modes import kl_to_uniform

RING_MODES = 8
RING_RADIUS = 2.0
RING_SIGMA = 0.02
GRID_VALUES = (-4.0, -2.0, 0.0, 2.0, 4.0)
GRID_SIGMA = 0.05
DEFAULT_N = 2500
HQ_SIGMAS = 3.0


@dataclass(frozen=True)
class Mixture:
    name: str
    centres: np.ndarray  # (K, 2)
    sigma: float
    description: str


def _ring() -> np.ndarray:
    angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _grid() -> np.ndarray:
    return np.array([(x, y) for x in GRID_VALUES for y in GRID_VALUES])


MIXTURES: Dict[str, Mixture] = {
    "ring": Mixture(
        "ring", _ring(), RING_SIGMA, f"8 Gaussians on a circle of radius {RING_RADIUS:g}, sigma {RING_SIGMA:g} (VEEGAN)"
    ),
    "grid": Mixture("grid", _grid(), GRID_SIGMA, f"25 Gaussians on {{-4,-2,0,2,4}}^2, sigma {GRID_SIGMA:g} (PacGAN)"),
}


def mixture(name: str) -> Mixture:
    try:
        return MIXTURES[name]
    except KeyError:
        known = ", ".join(sorted(MIXTURES))
        raise GanbenchError(f"unknown mixture {name!r}: known mixtures are {known}") from None


def sample_mixture(name: str, n: int = DEFAULT_N, seed: int = 0, modes: Optional[Iterable[int]] = None):
    """`n` points (float64, shape (n, 2)) and the index of the component each came from.

    Components are drawn uniformly from `modes` (default: all), so a mode-dropping sampler is one call.
    """
    mix = mixture(name)
    check_n_seed(n, seed)
    k = len(mix.centres)
    comps = np.arange(k) if modes is None else np.unique(np.asarray(list(modes), dtype=np.int64))
    if comps.size == 0 or comps.min() < 0 or comps.max() >= k:
        raise GanbenchError(f"modes must be a non-empty subset of 0..{k - 1} for {name!r}")
    rng = np.random.default_rng(seed)
    labels = comps[rng.integers(0, comps.size, size=n)]
    points = mix.centres[labels] + mix.sigma * rng.standard_normal((n, 2))
    return points, labels


def _nearest(x: np.ndarray, centres: np.ndarray, chunk: int = 1 << 16):
    """Index of and squared distance to the nearest centre, in row chunks to bound memory."""
    idx = np.empty(len(x), dtype=np.int64)
    dist2 = np.empty(len(x))
    for s in range(0, len(x), chunk):
        d2 = ((x[s : s + chunk, None, :] - centres[None]) ** 2).sum(axis=2)
        idx[s : s + chunk] = d2.argmin(axis=1)
        dist2[s : s + chunk] = d2[np.arange(len(d2)), idx[s : s + chunk]]
    return idx, dist2


def score_mixture(points, name: str) -> dict:
    """Modes covered, high-quality fraction and reverse KL of 2-D samples (array or .npy/.npz path).

    Keys: modes_covered, modes_total, high_quality_fraction, reverse_kl, mode_counts (high-quality
    samples per centre, in centre order), n_samples.
    """
    mix = mixture(name)
    x = load_array(points)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] == 0 or not np.issubdtype(x.dtype, np.number):
        raise GanbenchError(
            f"{name} samples must be a non-empty (N, 2) numeric array, got shape {x.shape}: pass one 2-D point per row"
        )
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise GanbenchError(
            f"{int((~np.isfinite(x)).any(axis=1).sum())} of the {name} samples are NaN or "
            "infinite: drop or fix them before scoring"
        )
    nearest, dist2 = _nearest(x, mix.centres)
    hq = dist2 <= (HQ_SIGMAS * mix.sigma) ** 2
    counts = np.bincount(nearest[hq], minlength=len(mix.centres))
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_total": len(mix.centres),
        "high_quality_fraction": float(hq.mean()),
        "reverse_kl": kl_to_uniform(counts),
        "mode_counts": counts.tolist(),
        "n_samples": int(len(x)),
    }
