"""Vendi score: equal to the `vendi-score` package on identical features, and the behaviour it exists for."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.vendi import vendi_score

vendi = pytest.importorskip("vendi_score.vendi")
pytestmark = pytest.mark.usefixtures("one_thread")


def _features(n, d, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


@pytest.mark.parametrize("n,d", [(60, 16), (40, 100)])  # the dual form with d < n, and with d > n
def test_vendi_equals_the_package(n, d):
    x = _features(n, d)
    x64 = x.astype(np.float64)
    ours = vendi_score(x)
    # tolerance: one float64 eigendecomposition each, of an n x n or a d x d matrix
    assert ours == pytest.approx(vendi.score_X(x64), rel=1e-12)
    assert ours == pytest.approx(vendi.score_dual(x64), rel=1e-12)
    k = vendi.preprocessing.normalize(x64) @ vendi.preprocessing.normalize(x64).T
    for q in (2.0, np.inf):  # score_X ignores q, so its kernel form score_K is the reference here
        assert vendi_score(x, q) == pytest.approx(vendi.score_K(k, q="inf" if np.isinf(q) else q), rel=1e-12)
    # q < 1 weighs the package's rounding-level eigenvalues (~1e-17 of the n - d zero ones) that we drop
    assert vendi_score(x, 0.5) == pytest.approx(vendi.score_K(k, q=0.5), rel=1e-6)


def test_vendi_bounds_and_collapse():
    assert vendi_score(np.tile(_features(1, 8), (30, 1))) == pytest.approx(1.0)  # one sample, copied
    assert vendi_score(np.eye(12)) == pytest.approx(12.0)  # orthogonal samples are all distinct
    x = _features(200, 32)
    collapsed = np.repeat(x[:5], 40, axis=0) + 0.01 * _features(200, 32, seed=1)
    assert vendi_score(collapsed) < 6 < 0.5 * vendi_score(x)
    assert vendi_score(x, 0.0) == pytest.approx(32.0)  # q = 0 counts the non-zero eigenvalues: the rank


def test_vendi_metric_per_class_interval_and_options():
    x = _features(90, 24)
    labels = np.repeat(np.arange(3), 30)
    gen = Features(x, labels=labels)
    v = METRICS.get("vendi").compute(gen, None, {"bootstrap": 50}, np.random.default_rng(0))
    assert v.value == pytest.approx(vendi.score_X(x.astype(np.float64)), rel=1e-12)
    assert v.ci[0] <= v.value <= v.ci[1] and v.ci[0] >= 1.0
    per = {k: vendi.score_X(x[labels == int(k)].astype(np.float64)) for k in v.extra["per_class"]}
    assert v.extra["per_class"] == pytest.approx(per, rel=1e-12)
    c = METRICS.get("class-vendi").compute(gen, None, {}, None)
    assert c.value == pytest.approx(np.mean(list(per.values())), rel=1e-12)  # dgm-eval's mean per class
    with pytest.raises(GanbenchError, match="--labels"):
        METRICS.get("class-vendi").compute(Features(x), None, {}, None)
    with pytest.raises(GanbenchError, match="vendi_q"):
        METRICS.get("vendi").validate({"vendi_q": -1.0})


def test_vendi_through_evaluate(inception_weights):
    import ganbench

    x = _features(50, 2048)
    r = ganbench.evaluate(Features(x), metrics="vendi", weights=inception_weights, bootstrap=3)  # 2048-d: 3 eigh
    assert r.metrics["vendi"].value == pytest.approx(vendi.score_X(x.astype(np.float64)), rel=1e-10)
