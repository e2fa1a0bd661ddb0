"""Confidence intervals describe the sampling uncertainty of the data (issue 9, item 1).

Synthetic Gaussian features, no Inception: KID's interval must not narrow as subsets are added
(it used to bootstrap the per-subset values, so 500 subsets gave a quarter of the width of 20),
and every metric's 95% interval must cover its target over repeated draws of the data. The
target is the metric's mean over many independent draws at the same N (FID and the k-NN
metrics depend on N; KID is unbiased, so its mean is the MMD^2 itself).
"""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.kid import bootstrap_mmd2, check_subset_size, mmd2_unbiased
from ganbench.metrics.manifold import manifolds
from ganbench.metrics.manifold_bootstrap import replicates

D, N = 8, 150
OPTS = dict(kid_subsets=20, kid_subset_size=50, is_splits=5, bootstrap=200)
NAMES = ("fid", "kid", "precision", "recall", "density", "coverage")


def draw(rng, n=N):
    return (rng.normal(size=(n, D)).astype(np.float32), (rng.normal(size=(n, D)) * 1.2 + 0.3).astype(np.float32))


def kid(x, y, subsets, boot=200):
    return METRICS.get("kid").compute(
        Features(x),
        Features(y),
        dict(kid_subsets=subsets, kid_subset_size=100, bootstrap=boot),
        np.random.default_rng(0),
    )


def test_kid_interval_does_not_shrink_with_more_subsets():
    x, y = draw(np.random.default_rng(1), 200)
    widths = {s: (lambda v: v.ci[1] - v.ci[0])(kid(x, y, s)) for s in (20, 100, 500)}
    print("KID 95% interval width by subsets:", widths)
    assert widths[500] > 0.85 * widths[20], widths
    # and the subsets' spread is still reported, apart from the interval, and says what it is
    v = kid(x, y, 100, boot=0)
    assert v.ci is None and v.std > 0 and "not a sampling interval" in v.std_of


def test_kid_interval_width_matches_the_spread_over_fresh_data():
    rng = np.random.default_rng(2)
    fresh = [kid(*draw(rng, 200), 50, boot=0).value for _ in range(60)]
    widths = [kid(*draw(rng, 200), 50).ci for _ in range(10)]
    mean_width = np.mean([hi - lo for lo, hi in widths])
    expected = 2 * 1.96 * np.std(fresh)
    print(f"KID width {mean_width:.4f}, 3.92 x std over fresh draws {expected:.4f}")
    assert 0.7 * expected < mean_width < 1.4 * expected


def test_bootstrap_replicate_of_unit_weights_is_the_full_set_statistic():
    x, y = draw(np.random.default_rng(3), 60)
    rng = np.random.default_rng(0)
    full = mmd2_unbiased(x, y)

    # a "resample" that draws every point once: patch multinomial to return ones
    class Ones:
        def multinomial(self, n, p, size):
            return np.ones((size, n), dtype=np.int64)

    got = bootstrap_mmd2(x, y, 3, {}, Ones())
    np.testing.assert_allclose(got, full, rtol=1e-5)
    assert np.isfinite(bootstrap_mmd2(x, y, 5, {}, rng)).all()


def test_manifold_replicate_of_unit_weights_equals_the_point_estimates():
    x, y = draw(np.random.default_rng(4), 80)
    m = manifolds(x, y, 3, 5)
    ones = [(np.ones(len(y)), np.ones(len(x)))]
    rep = replicates(x, y, 3, 5, 1, None, weights=ones)
    for name in ("precision", "recall", "density", "coverage"):
        assert rep[name][0] == pytest.approx(float(np.mean(getattr(m, name))), abs=1e-12), name


@pytest.mark.slow
def test_intervals_cover_their_target_over_repeated_draws():
    rng = np.random.default_rng(123)
    points = {k: [] for k in NAMES}
    for _ in range(200):
        x, y = draw(rng)
        opts = {**OPTS, "bootstrap": 0, "_memo": {}}
        for k in NAMES:
            points[k].append(METRICS.get(k).compute(Features(x), Features(y), opts, None).value)
    target = {k: float(np.mean(v)) for k, v in points.items()}
    hits, reps = dict.fromkeys(NAMES, 0), 80
    for i in range(reps):
        x, y = draw(rng)
        opts = {**OPTS, "_memo": {}}
        for k in NAMES:
            v = METRICS.get(k).compute(Features(x), Features(y), opts, np.random.default_rng(i))
            hits[k] += v.ci[0] <= target[k] <= v.ci[1]
    rates = {k: h / reps for k, h in hits.items()}
    print("coverage of nominal 95% intervals over", reps, "draws:", rates)
    se = np.sqrt(0.95 * 0.05 / reps)
    for k, r in rates.items():
        assert r >= 0.95 - 3 * se, (k, r)  # never much below nominal
    for k in ("fid", "kid"):
        assert rates[k] <= 0.95 + 3 * se, (k, rates[k])  # and not vacuous where the method is exact in kind


def test_kid_refuses_tiny_subsets_and_warns_on_small_ones():
    with pytest.raises(GanbenchError, match=r"subset size 2 is too small.*--kid-subset-size 10"):
        check_subset_size({"kid_subset_size": 2})
    with pytest.warns(UserWarning, match="subsets of 50"):
        check_subset_size({"kid_subset_size": 50})
    x, y = draw(np.random.default_rng(5), 2)
    with pytest.raises(GanbenchError, match="too small"):
        METRICS.get("kid").compute(Features(x), Features(y), {"kid_subset_size": 2}, None)


def test_manifold_intervals_stay_inside_each_metrics_range():
    """Near 0 (a generator far from the data, as the shipped example's) the bias-corrected interval
    was shifted below 0; it is clipped to [0, 1] (density: [0, inf))."""
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(300, 8))
    gen = np.concatenate([rng.normal(size=(6, 8)), rng.normal(4.0, 1.0, size=(294, 8))])
    opts = {"bootstrap": 100, "bootstrap_seed": 0, "confidence": 0.95, "_memo": {}}
    for name in ("precision", "recall", "density", "coverage"):
        v = METRICS.get(name).compute(
            Features(gen.astype(np.float32)), Features(ref.astype(np.float32)), opts, np.random.default_rng(0)
        )
        assert v.ci[0] >= 0.0 and (name == "density" or v.ci[1] <= 1.0), (name, v.value, v.ci)
        assert v.ci[0] <= v.value <= v.ci[1] or v.value == 0.0, (name, v.value, v.ci)
