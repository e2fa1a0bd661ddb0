"""Exact copies in diagnose: copies of one image whose features differ in the last bits (BLAS kernels
differ with the batch a copy falls in) are still copies; distinct near neighbours are not."""

from __future__ import annotations

import numpy as np

from ganbench.metrics.knn import copies_beyond_first, exact_tolerance


def test_copies_differing_in_the_last_bits_are_counted_once_per_extra_copy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 32)).astype(np.float32) * 20
    x[150:170] = x[10:30] * (1 + rng.normal(0, 3e-7, size=(20, 32))).astype(np.float32)  # 20 pairs
    x[190] = x[5]
    x[191] = x[5] + np.float32(1e-6)  # a group of three
    x[199] = x[40] + 1e-2  # a distinct image that happens to be close: not a copy
    tol = exact_tolerance(x)
    assert copies_beyond_first(x, tol) == 20 + 2
    assert len(np.unique(x, axis=0)) > 200 - 22  # bit-identity alone would miss most of them


def test_batch_dependent_features_of_duplicated_images():
    """The failure this fixes: the same rows multiplied in batches of different sizes."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, size=(300, 3072)).astype(np.float32)
    img[250:280] = img[100:130]
    w = rng.normal(size=(3072, 48)).astype(np.float32) / 255
    feats = np.concatenate([img[s : s + 64] @ w for s in range(0, 300, 64)])
    assert copies_beyond_first(feats, exact_tolerance(feats)) == 30
