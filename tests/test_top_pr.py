"""TopP&R: equal to the `top-pr` package with its defaults on identical features, and what it is for."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.top_pr import top_pr

pkg = pytest.importorskip("top_pr.top_pr")  # it imports gudhi


def _modes(n, d, modes, seed, spread=0.3):
    """`n` points around `modes` of 10 fixed centres."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(0, 3, (10, d))
    return (centres[rng.choice(modes, n)] + rng.normal(0, spread, (n, d))).astype(np.float32)


def _package(real, fake):
    np.random.seed(42)  # the package seeds numpy itself only when it projects (d > 32)
    r = pkg.compute_top_pr(real_features=real, fake_features=fake)
    return r["fidelity"], r["diversity"]


@pytest.mark.parametrize("d", [64, 24])  # projected to 32, and not
def test_top_pr_equals_the_package(d):
    real = _modes(240, d, np.arange(10), 0)
    for fake in (_modes(220, d, np.arange(10), 1, spread=0.45), _modes(220, d, np.arange(3), 2)):
        ours = top_pr(real, fake)
        # exact: the same projection, bandwidths, band draws and kernel sums give the same counts
        assert (ours["topp"], ours["topr"]) == _package(real, fake)


def test_collapse_lowers_topr_not_topp():
    """10 modes in the reference; samples from all, half, or one of them (their bandwidths are 5 x 32-NN
    distances, so at this n a sample set of 2 modes still reads as one wide support: 1 and 5 are tested)."""
    real = _modes(240, 64, np.arange(10), 0)
    full, half, one = (top_pr(real, _modes(240, 64, np.arange(m), 1)) for m in (10, 5, 1))
    assert one["topr"] < 0.3 < half["topr"] < 0.9 < full["topr"]
    assert min(full["topp"], half["topp"], one["topp"]) > 0.9


def test_metrics_share_one_computation_and_refuse_small_sets():
    real, fake = _modes(200, 64, np.arange(10), 0), _modes(200, 64, np.arange(10), 1)
    opts = {"_memo": {}}
    p = METRICS.get("topp").compute(Features(fake), Features(real), opts, None)
    r = METRICS.get("topr").compute(Features(fake), Features(real), opts, None)
    assert len(opts["_memo"]) == 1 and (p.value, r.value) == _package(real, fake)
    with pytest.raises(GanbenchError, match="more than 160 generated samples"):
        top_pr(real, fake[:160])
