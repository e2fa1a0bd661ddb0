"""FID-infinity and IS-infinity (Chong & Forsyth 2020): agreement with a direct computation of the
authors' procedure (score_infinity.py: in-place shuffles, FID_N against the full reference statistics,
sklearn's LinearRegression on 1/N) on identical features, and known answers on Gaussians."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.fid_inf import line_fit

pytestmark = pytest.mark.reference


def _reference_fid_infinity(act, ref_act, min_fake, num_points, seed):
    """score_infinity.calculate_FID_infinity_path after the features are extracted, with its global
    np.random replaced by a seeded RandomState (the only change)."""
    from pytorch_fid.fid_score import calculate_frechet_distance
    from sklearn.linear_model import LinearRegression

    act = act.copy()
    real_m, real_s = np.mean(ref_act, axis=0), np.cov(ref_act, rowvar=False)
    rs = np.random.RandomState(seed)
    fid_batches = np.linspace(min_fake, len(act), num_points).astype("int32")
    fids = []
    for size in fid_batches:
        rs.shuffle(act)
        sub = act[:size]
        fids.append(calculate_frechet_distance(np.mean(sub, axis=0), np.cov(sub, rowvar=False), real_m, real_s))
    reg = LinearRegression().fit(1 / fid_batches.reshape(-1, 1), np.array(fids).reshape(-1, 1))
    return reg.predict(np.array([[0]]))[0, 0]


def _reference_is_infinity(logits, min_fake, num_points, seed):
    from sklearn.linear_model import LinearRegression

    logits = logits.copy()
    rs = np.random.RandomState(seed)
    batches = np.linspace(min_fake, len(logits), num_points).astype("int32")
    scores = []
    for size in batches:
        rs.shuffle(logits)
        x = logits[:size].astype(np.float64)
        p = np.exp(x - x.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        py = p.mean(0)
        scores.append(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(py)), axis=1))))  # one split
    reg = LinearRegression().fit(1 / batches.reshape(-1, 1), np.array(scores).reshape(-1, 1))
    return reg.predict(np.array([[0]]))[0, 0]


def test_fid_inf_agrees_with_the_authors_procedure():
    rng = np.random.default_rng(1)
    gen = rng.normal(size=(3000, 32)).astype(np.float32) @ rng.normal(size=(32, 32)).astype(np.float32) * 0.3
    ref = rng.normal(size=(4000, 32)).astype(np.float32)
    opts = {"inf_min_n": 500, "inf_points": 15, "inf_seed": 7}
    ours = METRICS.get("fid-inf").compute(Features(gen), Features(ref), opts)
    theirs = _reference_fid_infinity(gen, ref, 500, 15, 7)
    assert ours.value == pytest.approx(theirs, rel=1e-6, abs=1e-8)
    assert ours.extra["points"] == 15 and ours.extra["n_min"] == 500 and ours.extra["n_max"] == 3000


def test_is_inf_agrees_with_the_authors_procedure():
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(2000, 1008)) * 3).astype(np.float32)
    opts = {"inf_min_n": 400, "inf_points": 15, "inf_seed": 3}
    ours = METRICS.get("is-inf").compute(Features(None, logits), None, opts)
    assert ours.value == pytest.approx(_reference_is_infinity(logits, 400, 15, 3), rel=1e-9)


def test_two_samplers_of_one_gaussian_have_fid_inf_near_zero_while_small_n_fid_is_not():
    rng = np.random.default_rng(3)
    d = 32
    gen = rng.normal(size=(5000, d)).astype(np.float32)
    ref = rng.normal(size=(20000, d)).astype(np.float32)
    fid_small = METRICS.get("fid").compute(Features(gen[:500]), Features(ref), {}).value
    inf = METRICS.get("fid-inf").compute(Features(gen), Features(ref), {"inf_min_n": 500})
    assert fid_small > 0.5 * d * d / 2 / 500 * 0.5  # the O(d^2/N) bias: ~0.5 here
    assert abs(inf.value) < 0.1 * fid_small
    assert abs(inf.value) < 4 * inf.std + 0.01


def test_fid_inf_recovers_the_true_distance_of_two_gaussians():
    """Known answer: a mean shift of 0.5 in one of d unit-variance dimensions is FID 0.25 exactly."""
    rng = np.random.default_rng(4)
    d = 16
    gen = rng.normal(size=(6000, d))
    gen[:, 0] += 0.5
    ref = rng.normal(size=(30000, d)).astype(np.float32)
    inf = METRICS.get("fid-inf").compute(Features(gen.astype(np.float32)), Features(ref), {"inf_min_n": 600})
    at_600 = METRICS.get("fid").compute(Features(gen[:600].astype(np.float32)), Features(ref), {}).value
    assert inf.value == pytest.approx(0.25, abs=0.03)
    assert at_600 - 0.25 > 2 * abs(inf.value - 0.25)  # the finite-N value is the biased one


def test_line_fit_known_answer():
    n = np.array([100, 200, 400, 800])
    a, b, se = line_fit(n, 2.0 + 50.0 / n)
    assert a == pytest.approx(2.0) and b == pytest.approx(50.0) and se == pytest.approx(0.0, abs=1e-12)


def test_bad_options_and_too_few_samples_are_one_line_errors(inception_weights):
    import ganbench

    with pytest.raises(GanbenchError, match="inf_points"):
        METRICS.get("fid-inf").validate({"inf_points": 2})
    x = np.zeros((50, 32, 32, 3), np.uint8)
    with pytest.raises(GanbenchError, match="fid-inf needs at least 5000 generated samples"):
        ganbench.evaluate(x, ref=x, metrics=["fid-inf"], weights=inception_weights)
