"""Metrics and statistics with answers known in closed form; no Inception involved."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import linalg

from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.fid import frechet_distance, trace_sqrt_product
from ganbench.metrics.inception_score import inception_score
from ganbench.metrics.kid import mmd2_unbiased
from ganbench.stats import GaussianStats, RunningMoments


def _spd(rng, d, cond=10.0):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (q * np.linspace(1, cond, d)) @ q.T


def test_fid_of_identical_statistics_is_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 64))
    s = GaussianStats.from_features(x)
    assert frechet_distance(s.mu, s.sigma, s.mu, s.sigma) == pytest.approx(0, abs=1e-6)


def test_fid_diagonal_closed_form():
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 16.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_fid_general_covariances_match_the_definition():
    """Non-commuting covariances: tr sqrt(S1 S2) against sqrt(S1)^(1/2) S2 sqrt(S1)^(1/2) via scipy."""
    rng = np.random.default_rng(1)
    s1, s2 = _spd(rng, 12), _spd(rng, 12, cond=50)
    r = linalg.sqrtm(s1).real
    expected = np.trace(linalg.sqrtm(r @ s2 @ r).real)
    assert trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-10)


def test_fid_between_sampled_gaussians_approaches_closed_form():
    rng = np.random.default_rng(2)
    d = 4
    m1, m2 = np.zeros(d), np.full(d, 0.5)
    s1, s2 = _spd(rng, d, 3), _spd(rng, d, 5)
    r = linalg.sqrtm(s1).real
    closed = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(r @ s2 @ r).real)
    x = rng.multivariate_normal(m1, s1, size=200_000)
    y = rng.multivariate_normal(m2, s2, size=200_000)
    gx, gy = GaussianStats.from_features(x), GaussianStats.from_features(y)
    # sampling error of the moments at N=2e5 is ~1e-2 relative on these scales
    assert frechet_distance(gx.mu, gx.sigma, gy.mu, gy.sigma) == pytest.approx(closed, rel=2e-2)


def test_fid_is_finite_and_real_for_rank_deficient_covariances():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 256)), rng.normal(size=(12, 256)) + 0.1
    gx, gy = GaussianStats.from_features(x), GaussianStats.from_features(y)
    v = frechet_distance(gx.mu, gx.sigma, gy.mu, gy.sigma)
    assert np.isfinite(v) and isinstance(v, float) and v > 0
    from pytorch_fid.fid_score import calculate_frechet_distance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = calculate_frechet_distance(gx.mu, gx.sigma, gy.mu, gy.sigma)
    assert v == pytest.approx(expected, rel=1e-5)


def test_fid_metric_warns_when_covariance_is_rank_deficient():
    rng = np.random.default_rng(4)
    gen, ref = Features(pool=rng.normal(size=(20, 64))), Features(pool=rng.normal(size=(100, 64)))
    with pytest.warns(UserWarning, match="rank-deficient"):
        METRICS.get("fid").compute(gen, ref, {}, None)


def test_running_moments_equal_numpy_and_merge():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1000, 16)) * 3 + 1e3  # a large offset: the shift must protect precision
    acc = RunningMoments(16)
    for chunk in np.array_split(x, 7):
        acc.update(chunk)
    s = acc.finalize()
    assert np.allclose(s.mu, x.mean(0), rtol=0, atol=1e-10)
    assert np.allclose(s.sigma, np.cov(x, rowvar=False), rtol=1e-10, atol=1e-10)
    a, b = RunningMoments(16), RunningMoments(16)
    a.update(x[:300])
    b.update(x[300:] + 0)  # different shifts on each side
    a.merge(b)
    m = a.finalize()
    assert np.allclose(m.sigma, np.cov(x, rowvar=False), rtol=1e-9, atol=1e-9)
    assert np.allclose(m.mu, x.mean(0), atol=1e-10)


def test_inception_score_bounds():
    n, c = 1000, 10
    # every sample certain, classes uniform: IS = number of classes
    confident = np.full((n, c), -50.0)
    confident[np.arange(n), np.arange(n) % c] = 50.0
    mean, _ = inception_score(confident, splits=10, seed=None)
    assert mean == pytest.approx(c, rel=1e-6)
    # every sample uniform over classes: IS = 1
    mean, std = inception_score(np.zeros((n, c)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0, abs=1e-12)


def test_kid_is_zero_in_expectation_for_same_distribution_and_positive_otherwise():
    rng = np.random.default_rng(6)
    same = [mmd2_unbiased(rng.normal(size=(300, 32)), rng.normal(size=(300, 32))) for _ in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same))
    shifted = mmd2_unbiased(rng.normal(size=(300, 32)), rng.normal(size=(300, 32)) + 0.5)
    assert shifted > 10 * np.std(same)


def test_precision_recall_density_coverage_on_identical_and_disjoint_sets():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 8))
    same = {
        n: METRICS.get(n).compute(Features(pool=x), Features(pool=x.copy()), {}, None).value
        for n in ("precision", "recall", "coverage")
    }
    assert same == {"precision": 1.0, "recall": 1.0, "coverage": 1.0}
    far = Features(pool=x + 100.0)
    for name in ("precision", "recall", "density", "coverage"):
        assert METRICS.get(name).compute(far, Features(pool=x), {}, None).value == 0.0, name
