"""Intervals of topp/topr and fld/fld-gap (issue 30): a replicate is the metric's counting (TopP&R) or NLL
terms (FLD) on a resample, computed from multiplicities; checked against the resample written out row by
row. Coverage on toy data: benchmarks/interval_coverage.py (benchmarks/results/interval_coverage.md)."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.features.featureset import FeatureSet
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features

D = 8


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(3)
    shift = np.zeros(D)
    shift[0] = 1.0
    return {
        "ref": rng.normal(size=(200, D)),
        "gen": rng.normal(size=(200, D)) + shift,
        "train": rng.normal(size=(150, D)),
    }


def test_resampled_bandwidths_and_densities_equal_the_resample_written_out(toy):
    """A resample's balloon bandwidth and densities, from multiplicities, against the resample row by row
    with copies of one point never its neighbours (and the package's bandwidth when every weight is 1)."""
    from scipy.spatial import distance

    from ganbench.metrics.top_pr import bandwidth, kde
    from ganbench.metrics.top_pr_bootstrap import bandwidths, densities, later_neighbours, pairs

    x, k = toy["ref"], 5 * D
    near = later_neighbours(x, 2 * k + 20)
    assert bandwidths(*near, np.ones((len(x), 1)), k)[0] == pytest.approx(bandwidth(x, k), rel=1e-12)
    w = np.random.default_rng(0).multinomial(len(x), np.full(len(x), 1 / len(x)))
    rows = np.repeat(np.arange(len(x)), w)  # the resample, row by row
    dist = distance.cdist(x[rows], x[rows])
    dist[rows[:, None] == rows[None, :]] = np.inf  # a copy is not its original's neighbour
    balloon = []
    for a in np.unique(rows):  # each drawn point's k-th nearest later point, once per copy
        later = np.sort(dist[np.flatnonzero(rows == a)[0], rows > a])
        balloon += [later[k - 1]] * int(w[a]) if len(later) >= k else []
    balloon = np.sort(balloon)
    h = bandwidths(*near, w[:, None].astype(float), k)[0]
    assert h == pytest.approx(balloon[int(len(balloon) * 0.5) - 1], rel=1e-12)
    p = pairs(x, x, h)
    full = kde(x[rows], x, h)  # the package's density of the resample, copies counted
    got = densities(p, (len(x), len(x)), h, w[:, None].astype(float), False, D)[:, 0]
    assert got == pytest.approx(full, rel=1e-9)
    once = full - (1 / len(x)) * (np.pi / (4 * h)) ** D * np.maximum(w - 1, 0)  # own copies counted once
    assert densities(p, (len(x), len(x)), h, w[:, None].astype(float), True, D)[:, 0] == pytest.approx(once, rel=1e-9)


def test_topp_topr_intervals_are_recorded_and_reproducible(toy):
    gen, ref = Features(toy["gen"]), Features(toy["ref"])
    opts = {"bootstrap": 40, "confidence": 0.9}
    both = {m: METRICS.get(m).compute(gen, ref, {**opts, "_memo": {}}, None) for m in ("topp", "topr")}
    alone = METRICS.get("topr").compute(gen, ref, {**opts, "_memo": {}}, None)
    for m, v in both.items():
        assert v.ci[0] <= v.value <= v.ci[1] and 0 <= v.ci[0] < v.ci[1] <= 1, (m, v)
        assert "bands and counts recomputed on each resample" in v.ci_method
    assert alone.ci == both["topr"].ci  # the draws do not depend on which of the two is asked
    assert METRICS.get("topp").compute(gen, ref, {"bootstrap": 0}, None).ci is None


def test_fld_replicates_equal_the_mixture_of_the_resample_written_out(toy):
    from ganbench.metrics.fld import Mixture, fld, replicates

    train, test, gen = toy["train"], toy["ref"], toy["gen"]
    rng = np.random.default_rng(1)
    w = rng.multinomial(len(test), np.full(len(test), 1 / len(test)))
    v = rng.multinomial(len(gen), np.full(len(gen), 1 / len(gen)))
    args = (Features(gen), Features(test), {}, [(w, v)], Features(train))
    ones = [(np.ones(len(test), int), np.ones(len(gen), int))]
    for mode in ("test", "gap"):
        value = fld(train, test, gen, mode=mode)["value"]
        assert replicates(*args[:3], ones, args[4], mode=mode)[0] == pytest.approx(value, rel=1e-5, abs=1e-4)
    # by hand: the fitted mixture with each component repeated v times, scoring each held-out row w times
    _, st = fld(train, test, gen, keep=True)
    m = st["mixture"]
    drawn = np.repeat(np.arange(len(gen)), v)
    copy = Mixture(m.centres[drawn])
    copy.log_sigmas = m.log_sigmas[drawn]
    rows = np.repeat(np.arange(len(test)), w)
    want = 100 * (copy.nll(st["test"][rows]) - st["baseline_rows"][rows].mean())
    assert replicates(*args, mode="test")[0] == pytest.approx(want, rel=1e-4)


def test_fld_interval_through_eval_and_the_paired_bootstrap(toy):
    from ganbench.gates.paired import paired

    space = "inception-v3-compat"
    gen, ref, train = (FeatureSet(toy[k].astype(np.float32)) for k in ("gen", "ref", "train"))
    v = METRICS.get("fld").compute(gen, ref, {"bootstrap": 30, "confidence": 0.9}, None, train=train)
    assert v.ci[0] <= v.value <= v.ci[1] and "fitted widths and baseline held" in v.ci_method
    worse = FeatureSet((toy["gen"] * 2).astype(np.float32))
    points, reps = paired(
        ["fld", "topp"], [{space: gen}, {space: worse}], {space: ref}, {}, 20, 0, trains={space: train}
    )
    assert reps["fld"].shape == reps["topp"].shape == (2, 20) and np.isfinite(reps["fld"]).all()
    assert points["fld"][0].value == pytest.approx(v.value)
    assert (reps["fld"][1] > reps["fld"][0]).all()  # the wider samples are worse in every replicate
