"""Stacked digits: Stacked MNIST's 1,000-mode benchmark rebuilt from scikit-learn's offline 8x8 digits.

Stacked MNIST (Metz et al. 2017; used by VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018)
puts three random MNIST digits in the R, G and B channels, giving 1,000 modes labelled
100 d_r + 10 d_g + d_b.  Here the digits are sklearn's `digits` (8x8, grey levels 0..16 scaled to
0..255), drawn from the classifier's training half (classifier.py), as Stacked MNIST is built from
the MNIST training set its classifier was trained on.  Each channel's digit is drawn
uniformly from the allowed digits, then an image of that digit uniformly, so modes are equally likely.

Scoring classifies each channel, counts the modes hit (modes with at least one sample, the
literature's count, out of STACKED_MODES = 1000) and KL(p_gen || uniform over 1000 modes) (modes.py).
The protocol of VEEGAN / PacGAN uses DEFAULT_N = 26,000 samples.  The classifier reads every image of
the pool correctly, so a sampler of digits 0-4 only scores exactly 125 modes; on unseen digits it errs
on 1% of channels (the held-out accuracy reported with every score), so a generator's off-manifold
digits can add spurious modes: read modes_hit together with kl_to_uniform.  The full sampler scores
1000 modes and KL ~0.02 (the plug-in bias alone is 999 / 52,000).
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

import numpy as np

from ..errors import GanbenchError
from .classifier import classifier_accuracy, heldout_digits, predict_digits, training_digits
from .io import check_n_seed, load_array
from .modes import kl_to_uniform

STACKED_MODES = 1000
DEFAULT_N = 26000
IMAGE_SHAPE = (8, 8, 3)  # NHWC per sample; channels R, G, B hold the hundreds, tens and units digit
CHANNEL_WEIGHTS = np.array([100, 10, 1])


def sample_stacked_digits(n: int = DEFAULT_N, seed: int = 0, digits: Iterable[int] = range(10), heldout: bool = False):
    """`n` stacked-digit images, uint8 (n, 8, 8, 3) on 0..255, and their mode labels (n,) in 0..999;
    `heldout`: built from the classifier's held-out half instead (real images no model was trained on,
    for CAS's test set)."""
    check_n_seed(n, seed)
    allowed = np.unique(np.asarray(list(digits), dtype=np.int64))
    if allowed.size == 0 or allowed.min() < 0 or allowed.max() > 9:
        raise GanbenchError(f"digits must be a non-empty subset of 0..9, got {list(digits)!r}")
    pool, pool_labels = heldout_digits() if heldout else training_digits()
    order = np.argsort(pool_labels, kind="stable")
    counts = np.bincount(pool_labels, minlength=10)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rng = np.random.default_rng(seed)
    d = allowed[rng.integers(0, allowed.size, size=(n, 3))]
    picks = order[starts[d] + rng.integers(0, counts[d])]
    images = np.ascontiguousarray(pool[picks].transpose(0, 2, 3, 1))  # (n, 3, 8, 8) -> NHWC
    return images, d @ CHANNEL_WEIGHTS


def _as_nhwc(images) -> np.ndarray:
    x = load_array(images)
    if x.ndim == 4 and x.shape[1:] == (3, 8, 8):
        x = x.transpose(0, 2, 3, 1)
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE or x.shape[0] == 0:
        raise GanbenchError(
            f"stacked-digits samples must be a non-empty (N, 8, 8, 3) or (N, 3, 8, 8) array, "
            f"got shape {x.shape}: generate 8x8 RGB images"
        )
    if x.dtype == np.uint8:
        return x
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise GanbenchError(f"stacked-digits samples have dtype {x.dtype}: pass uint8 or floats on 0..255")
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 255:
        raise GanbenchError("stacked-digits samples have values outside 0..255 (or NaN): rescale to 0..255")
    if np.issubdtype(x.dtype, np.floating) and x.max() <= 1.0:
        raise GanbenchError("stacked-digits samples look like floats in 0..1: multiply by 255 first")
    return x


def score_stacked_digits(images, classifier: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> dict:
    """Modes hit and KL to uniform of stacked-digit images (array or .npy/.npz path).

    Keys: modes_hit, modes_total, kl_to_uniform, classifier_accuracy (held-out accuracy of the
    per-channel classifier), mode_counts (samples per label 0..999), n_samples.  `classifier` maps
    single-channel images (m, 8, 8) on 0..255 to digits 0..9; by default ganbench's SVC
    (classifier.py); with any other, classifier_accuracy is NaN.
    """
    x = _as_nhwc(images)
    channels = x.transpose(0, 3, 1, 2).reshape(-1, 8, 8)
    digits = np.asarray((classifier or predict_digits)(channels), dtype=np.int64).reshape(len(x), 3)
    if digits.min() < 0 or digits.max() > 9:
        raise GanbenchError("the digit classifier returned labels outside 0..9: return digits 0..9")
    counts = np.bincount(digits @ CHANNEL_WEIGHTS, minlength=STACKED_MODES)
    return {
        "modes_hit": int((counts > 0).sum()),
        "modes_total": STACKED_MODES,
        "kl_to_uniform": kl_to_uniform(counts),
        "classifier_accuracy": classifier_accuracy() if classifier is None else float("nan"),
        "mode_counts": counts.tolist(),
        "n_samples": int(len(x)),
    }
