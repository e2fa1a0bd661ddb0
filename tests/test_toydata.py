"""Known-answer tests for the offline mode-collapse benchmarks (ganbench.toydata)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganbench import toydata
from ganbench.errors import GanbenchError
from ganbench.toydata import classifier, mixtures, stacked_digits
from ganbench.toydata.modes import kl_to_uniform

HQ_EXPECTED = 1 - math.exp(-4.5)  # P(chi2 with 2 dof <= 3^2): a 2-D Gaussian sample within 3 sigma


def _within_sampling_error(observed, p, n, sds=4):
    return abs(observed - p) <= sds * math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------- mixtures: geometry


def test_ring_centres_are_8_distinct_points_on_radius_2():
    c = mixtures.MIXTURES["ring"].centres
    assert c.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(c[:, 0], c[:, 1]), 2.0)
    d = np.hypot(*(c[:, None, :] - c[None, :, :]).transpose(2, 0, 1))
    nearest = np.sort(d, axis=1)[:, 1]  # no duplicated centre: every neighbour is one chord away
    np.testing.assert_allclose(nearest, 2 * 2.0 * math.sin(math.pi / 8))
    assert mixtures.RING_SIGMA == 0.02


def test_grid_centres_and_sigma():
    c = mixtures.MIXTURES["grid"].centres
    assert c.shape == (25, 2)
    assert {tuple(p) for p in c} == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert mixtures.GRID_SIGMA == 0.05
    assert mixtures.DEFAULT_N == 2500


def test_samples_have_the_pinned_spread_and_are_seeded():
    pts, labels = mixtures.sample_mixture("grid", 20000, seed=5)
    resid = pts - mixtures.MIXTURES["grid"].centres[labels]
    assert abs(resid.std() - 0.05) < 0.002
    again, _ = mixtures.sample_mixture("grid", 20000, seed=5)
    other, _ = mixtures.sample_mixture("grid", 20000, seed=6)
    assert np.array_equal(pts, again) and not np.array_equal(pts, other)


# ---------------------------------------------------------------- mixtures: metrics


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_perfect_sampler_covers_all_modes_with_chi2_quality(name):
    n = 40000
    pts, _ = mixtures.sample_mixture(name, n, seed=0)
    s = toydata.score(name, pts)
    k = len(mixtures.MIXTURES[name].centres)
    assert s["modes_covered"] == s["modes_total"] == k
    assert _within_sampling_error(s["high_quality_fraction"], HQ_EXPECTED, n)
    assert s["reverse_kl"] < 2e-3  # plug-in bias is (k - 1) / (2 n_hq), about 3e-4 for the grid
    assert sum(s["mode_counts"]) == round(s["high_quality_fraction"] * n)


def test_ring_sampler_dropping_3_modes_covers_exactly_5():
    dropped = [1, 4, 6]
    pts, _ = mixtures.sample_mixture("ring", 10000, seed=1, modes=[0, 2, 3, 5, 7])
    s = toydata.score("ring", pts)
    assert s["modes_covered"] == 5
    assert [s["mode_counts"][i] for i in dropped] == [0, 0, 0]
    assert abs(s["reverse_kl"] - math.log(8 / 5)) < 5e-3  # uniform over 5 of 8: KL = log(8/5)


def test_full_collapse_gives_log_k():
    centre = mixtures.MIXTURES["ring"].centres[3]
    s = toydata.score("ring", np.tile(centre, (100, 1)))
    assert s["modes_covered"] == 1
    assert s["high_quality_fraction"] == 1.0
    assert s["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12)


def test_grid_far_off_points_lower_quality_and_do_not_cover_modes():
    n = 20000
    pts, labels = mixtures.sample_mixture("grid", n, seed=2, modes=range(24))  # never centre 24 = (4, 4)
    pts[: n // 4] += 0.5  # 0.71 away from any centre: 14 sigma, never high quality
    pts[:100] = [100.0, 100.0]  # nearest centre is (4, 4), but far outside 3 sigma
    s = toydata.score("grid", pts)
    assert _within_sampling_error(s["high_quality_fraction"], 0.75 * HQ_EXPECTED, n)
    assert s["modes_covered"] == 24 and s["mode_counts"][24] == 0


def test_kl_to_uniform_formula_and_empty_modes():
    assert kl_to_uniform([5, 5, 5, 5]) == 0.0
    assert kl_to_uniform([2, 0, 2, 0]) == pytest.approx(math.log(2))  # log 4 - H(1/2, 1/2)
    p = np.array([0.5, 0.25, 0.25, 0.0])
    assert kl_to_uniform(p * 8) == pytest.approx(np.sum(p[:3] * np.log(4 * p[:3])))
    assert math.isnan(kl_to_uniform([0, 0, 0]))


def test_no_high_quality_sample_gives_zero_modes_and_nan_kl():
    s = toydata.score("ring", np.zeros((10, 2)))  # the ring's centre is 2 away from every mode
    assert s["modes_covered"] == 0 and s["high_quality_fraction"] == 0.0
    assert math.isnan(s["reverse_kl"])


@pytest.mark.parametrize("bad", [np.zeros((10, 3)), np.zeros((0, 2)), np.zeros(10), np.array([[0.0, np.nan]])])
def test_bad_points_are_user_errors(bad):
    with pytest.raises(GanbenchError):
        toydata.score("ring", bad)


def test_scoring_from_files(tmp_path):
    pts, labels = toydata.make("ring", 500, seed=0)
    toydata.save_dataset(tmp_path / "r.npy", pts, labels)
    toydata.save_dataset(tmp_path / "r.npz", pts, labels)
    expected = toydata.score("ring", pts)
    assert toydata.score_points(tmp_path / "r.npy", "ring") == expected
    assert toydata.score_points(str(tmp_path / "r.npz"), "ring") == expected
    np.savez(tmp_path / "two.npz", a=pts, b=pts)
    with pytest.raises(GanbenchError, match="arr_0"):
        toydata.score("ring", tmp_path / "two.npz")
    with pytest.raises(GanbenchError, match="cannot read"):
        toydata.score("ring", tmp_path / "missing.npy")


# ---------------------------------------------------------------- registry / make


def test_registry_lists_and_rejects_unknown_names():
    assert toydata.list_benchmarks() == ["grid", "ring", "stacked-digits", "swissroll"]
    with pytest.raises(GanbenchError, match="grid, ring, stacked-digits, swissroll"):
        toydata.make("rings", 10)
    with pytest.raises(GanbenchError, match="grid, ring, stacked-digits, swissroll"):
        toydata.score("mnist", np.zeros((3, 2)))


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_make_rejects_bad_counts(n):
    with pytest.raises(GanbenchError):
        toydata.make("grid", n)


def test_make_defaults_follow_the_protocols():
    assert toydata.make("ring")[0].shape == (2500, 2)
    images, labels = toydata.make("stacked-digits")
    assert images.shape == (26000, 8, 8, 3) and labels.shape == (26000,)


# ---------------------------------------------------------------- stacked digits


def _oracle():
    """A perfect classifier for the sampling pool: looks each channel up among the pool's images."""
    pool, labels = classifier.training_digits()
    table = {img.tobytes(): int(y) for img, y in zip(pool, labels)}
    return lambda channels: np.array([table[c.tobytes()] for c in np.asarray(channels, np.uint8)])


def test_classifier_is_accurate_on_held_out_digits():
    acc = classifier.classifier_accuracy()
    assert acc > 0.98  # measured 0.990 on the 899 held-out images
    assert classifier.classifier_accuracy() == acc


def test_sampler_draws_only_training_pool_images_with_correct_labels():
    images, labels = stacked_digits.sample_stacked_digits(3000, seed=4)
    assert images.dtype == np.uint8 and images.shape == (3000, 8, 8, 3)
    assert images.max() == 255 and images.min() == 0
    held = {img.tobytes() for img in classifier.heldout_digits()[0]}
    channels = images.transpose(0, 3, 1, 2).reshape(-1, 8, 8)
    assert not any(c.tobytes() in held for c in channels)
    digits = _oracle()(channels).reshape(-1, 3)
    assert np.array_equal(labels, 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2])  # R, G, B order
    again, _ = stacked_digits.sample_stacked_digits(3000, seed=4)
    assert np.array_equal(images, again)


def test_full_sampler_hits_nearly_all_1000_modes():
    images, _ = stacked_digits.sample_stacked_digits(26000, seed=0)
    s = toydata.score("stacked-digits", images)
    assert s["modes_total"] == 1000
    assert 995 <= s["modes_hit"] <= 1000
    assert s["kl_to_uniform"] < 0.05  # a perfect sampler's plug-in bias alone is 999 / 52000 = 0.019
    assert s["classifier_accuracy"] == classifier.classifier_accuracy()
    exact = stacked_digits.score_stacked_digits(images, classifier=_oracle())
    assert exact["modes_hit"] == 1000
    assert abs(exact["kl_to_uniform"] - 999 / 52000) < 0.01
    assert math.isnan(exact["classifier_accuracy"])


def test_digits_0_to_4_hit_at_most_125_modes():
    images, labels = stacked_digits.sample_stacked_digits(26000, seed=0, digits=range(5))
    in_range = [100 * a + 10 * b + c for a in range(5) for b in range(5) for c in range(5)]
    assert set(np.unique(labels)) == set(in_range)
    exact = stacked_digits.score_stacked_digits(images, classifier=_oracle())
    assert exact["modes_hit"] == 125
    assert exact["kl_to_uniform"] == pytest.approx(math.log(8), abs=0.01)  # uniform over 125 of 1000
    # the trained classifier reads every pool image correctly, so it gives the same answer
    s = toydata.score("stacked-digits", images)
    assert s["modes_hit"] == 125
    counts = np.array(s["mode_counts"])
    assert counts[in_range].sum() == 26000
    assert s["kl_to_uniform"] == pytest.approx(exact["kl_to_uniform"], abs=1e-12)


def test_classifier_makes_no_error_on_the_sampling_pool():
    pool, labels = classifier.training_digits()
    assert np.array_equal(classifier.predict_digits(pool), labels)


def test_nchw_and_float_images_score_like_nhwc_uint8():
    images, _ = stacked_digits.sample_stacked_digits(500, seed=9)
    s = toydata.score("stacked-digits", images)
    assert toydata.score("stacked-digits", images.transpose(0, 3, 1, 2)) == s
    assert toydata.score("stacked-digits", images.astype(np.float32)) == s


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 28, 28, 3), np.uint8),
        np.zeros((0, 8, 8, 3), np.uint8),
        np.full((4, 8, 8, 3), 0.5, np.float32),  # 0..1 floats
        np.full((4, 8, 8, 3), 300.0),
        np.zeros((4, 8, 8, 3), bool),
    ],
)
def test_bad_images_are_user_errors(bad):
    with pytest.raises(GanbenchError):
        toydata.score("stacked-digits", bad)


def test_bad_digit_subsets_are_user_errors():
    with pytest.raises(GanbenchError):
        stacked_digits.sample_stacked_digits(10, digits=[3, 10])
    with pytest.raises(GanbenchError):
        stacked_digits.sample_stacked_digits(10, digits=[])
