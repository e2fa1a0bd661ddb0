"""CMMD: the biased RBF estimator against an independent computation (and not the unbiased one), CMMD of a
set with itself, CMMD-pytorch's formula, and the CMMD preprocessing of the ViT-L/14@336 extractor."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from ganbench.errors import GanbenchError
from ganbench.features import clip
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.cmmd import cmmd


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _sets(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(70, 768)), rng.normal(size=(50, 768)) + 0.05


def _k(a, b, sigma=10.0):
    return np.exp(-cdist(_unit(a), _unit(b), "sqeuclidean") / (2 * sigma**2))


def test_cmmd_is_the_biased_mmd_times_1000():
    gen, ref = _sets()
    kxx, kyy, kxy = _k(ref, ref), _k(gen, gen), _k(ref, gen)
    biased = 1000 * (kxx.mean() + kyy.mean() - 2 * kxy.mean())
    m, n = len(ref), len(gen)
    unbiased = 1000 * ((kxx.sum() - m) / (m * (m - 1)) + (kyy.sum() - n) / (n * (n - 1)) - 2 * kxy.mean())
    got = cmmd(gen, ref)
    assert got == pytest.approx(biased, rel=1e-9)  # float64 both, other formulas for the distances
    assert abs(got - unbiased) > 1e3 * abs(got - biased)  # the V-statistic, not the U-statistic
    # cmmd-pytorch's distance.mmd formula (norms from the Gram diagonal), in float64
    x, y = _unit(ref), _unit(gen)

    def mean_k(a, b):
        d2 = -2 * a @ b.T + (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :]
        return np.exp(-d2 / 200).mean()

    assert got == pytest.approx(1000 * (mean_k(x, x) + mean_k(y, y) - 2 * mean_k(x, y)), rel=1e-9)


def test_cmmd_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    gen, ref = _sets()
    assert cmmd(ref, ref) == 0.0
    assert cmmd(ref[::-1] * 3.0, ref) == pytest.approx(0.0, abs=1e-9)  # scale-free: the rows are normalised
    assert 0 < cmmd(gen, ref) < cmmd(gen + 0.2, ref)


def test_cmmd_metric_interval_and_options():
    gen, ref = _sets()
    v = METRICS.get("cmmd").compute(Features(gen), Features(ref), {"bootstrap": 40}, np.random.default_rng(0))
    assert v.value == cmmd(gen, ref) and v.ci[0] <= v.value <= v.ci[1] and v.ci[0] >= 0
    assert METRICS.get("cmmd").extractor == "clip-vit-l-14-336"
    with pytest.raises(GanbenchError, match="cmmd_sigma"):
        METRICS.get("cmmd").validate({"cmmd_sigma": 0.0})


def test_cmmd_preprocessing_crops_the_centre_square_then_resizes():
    from PIL import Image

    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 64, 3), dtype=np.uint8)  # wide: the crop matters
    want = np.asarray(Image.fromarray(image[:, 12:52]).resize((336, 336), Image.BICUBIC))
    np.testing.assert_array_equal(clip.preprocess(image, clip.L14_336), want)
    square = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        clip.preprocess(square, clip.L14_336), np.asarray(Image.fromarray(square).resize((336, 336), Image.BICUBIC))
    )


def test_vit_l14_336_weights_are_checked_by_shape(tmp_path):
    import torch

    path = tmp_path / "b32-shaped.pt"
    torch.save({"visual.conv1.weight": torch.zeros(768, 3, 32, 32), "visual.proj": torch.zeros(768, 512)}, path)
    with pytest.raises(GanbenchError, match="not a CLIP ViT-L/14@336px state dict"):
        clip.load_state_dict(path, "0" * 64, clip.L14_336)


def test_cmmd_and_sw_approx_per_class_with_labels():
    from ganbench.metrics.sw_approx import sw_approx

    gen, ref = _sets()
    gl, rl = np.arange(len(gen)) % 2, np.arange(len(ref)) % 2
    for name, fn in (("cmmd", lambda g, r: cmmd(g, r)), ("sw-approx", lambda g, r: sw_approx(r, g))):
        v = METRICS.get(name).compute(Features(gen, labels=gl), Features(ref, labels=rl), {}, None)
        assert v.extra["per_class"] == {
            str(k): pytest.approx(fn(gen[gl == k], ref[rl == k]), rel=1e-12) for k in (0, 1)
        }
        with pytest.warns(UserWarning, match="no per-class values"):  # a class the reference lacks
            w = METRICS.get(name).compute(Features(gen, labels=gl + (gl == 1) * 5), Features(ref, labels=rl), {}, None)
        assert "per_class" not in w.extra and w.value == v.value
