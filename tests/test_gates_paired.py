"""The paired bootstrap of `compare` and `check` (ganbench/gates/paired.py) against a direct
computation: the documented draws replayed by hand, each replicate scored by plain code (pytorch-fid's
Frechet distance, an explicit unbiased MMD^2 with copies never paired, the IS split formula)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from ganbench.features.featureset import FeatureSet
from ganbench.gates.check import judge, make_limit
from ganbench.gates.paired import p_value, paired
from ganbench.metrics import METRICS

SPACE = "inception-v3-compat"
OPTS = {"kid_subset_size": 10, "kid_subsets": 20, "is_splits": 2}


def _sets(seed=0, d=6, n_ref=40, n=30, models=3):
    rng = np.random.default_rng(seed)
    ref = FeatureSet(rng.normal(size=(n_ref, d)).astype(np.float32))
    gens = [
        FeatureSet(
            rng.normal(0.2 * m, 1, size=(n, d)).astype(np.float32),
            (rng.normal(size=(n, 10)) * (1 + m)).astype(np.float32),
        )
        for m in range(models)
    ]
    return ref, gens


def _mmd_without_copies(x, y, ix, iy):
    def k(a, b):
        return (a @ b.T / a.shape[1] + 1.0) ** 3

    kxx, kyy = k(x, x), k(y, y)
    keep_x, keep_y = ix[:, None] != ix[None, :], iy[:, None] != iy[None, :]
    return kxx[keep_x].mean() + kyy[keep_y].mean() - 2 * k(x, y).mean()


@pytest.mark.reference
def test_paired_replicates_equal_a_direct_computation():
    from pytorch_fid.fid_score import calculate_frechet_distance

    ref, gens = _sets()
    B, seed = 12, 5
    points, reps = paired(["fid", "kid", "is"], [{SPACE: g} for g in gens], {SPACE: ref}, OPTS, B, seed)
    rng = np.random.default_rng([seed, zlib.crc32(b"paired")])
    r64, g64 = ref.pool.astype(np.float64), [g.pool.astype(np.float64) for g in gens]
    fid, kid, isc = (np.empty((3, B)) for _ in range(3))
    for b in range(B):
        rr = rng.integers(0, len(r64), len(r64))
        y = r64[rr]
        for m, g in enumerate(g64):
            rows = rng.integers(0, len(g), len(g))
            x = g[rows]
            fid[m, b] = calculate_frechet_distance(
                x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)
            )
            kid[m, b] = _mmd_without_copies(x, y, rows, rr)
            lp = gens[m].logits[rows].astype(np.float64)
            lp = lp - lp.max(1, keepdims=True)
            lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
            halves = [lp[: len(lp) // 2], lp[len(lp) // 2 :]]
            isc[m, b] = np.mean([np.exp((np.exp(h) * (h - np.log(np.exp(h).mean(0)))).sum(1).mean()) for h in halves])
    for m in range(3):  # KID replicates carry the subsets' noise too, drawn from their own stream
        std = points["kid"][m].std / np.sqrt(OPTS["kid_subsets"])
        kid[m] += np.random.default_rng([seed, zlib.crc32(b"kid-subsets"), m]).normal(0.0, std, B)
    np.testing.assert_allclose(reps["fid"], fid, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(reps["kid"], kid, rtol=1e-4, atol=1e-7)  # float32 kernel products, as kid.py's
    np.testing.assert_allclose(reps["is"], isc, rtol=1e-12)
    for name in ("fid", "kid", "is"):  # the point values are the metrics' own
        want = [METRICS.get(name).compute(g, ref, OPTS, np.random.default_rng(0)).value for g in gens]
        assert [p.value for p in points[name]] == pytest.approx(want, rel=1e-12)


def test_the_reference_is_resampled_once_per_replicate_for_every_model():
    """Two copies of one model differ only through their own draws: against a shared reference
    resample their replicate differences are far tighter than the replicates themselves."""
    ref, gens = _sets(1, d=4, n_ref=300, n=300, models=1)
    same = [{SPACE: gens[0]}, {SPACE: gens[0]}]
    _p, reps = paired(["fid"], same, {SPACE: ref}, {}, 200, 0)
    assert np.std(reps["fid"][1] - reps["fid"][0]) < 0.9 * np.std(reps["fid"][0]) * np.sqrt(2)


def test_p_value_known_answers():
    reps = np.arange(-50, 51, dtype=float)  # centred on the estimate 0: no evidence at all
    assert p_value(reps, 0.0) == pytest.approx(1.0)
    far = np.linspace(5, 6, 199)  # every replicate (shifted to the estimate 5.5) above zero
    assert p_value(far, 5.5) == pytest.approx(2 / 200)
    one_sided = np.concatenate([np.full(10, -1.0), np.full(90, 1.0)])
    assert p_value(one_sided, one_sided.mean()) == pytest.approx(2 * 11 / 101)


def test_judge_reads_the_direction_of_each_metric():
    ref, gens = _sets(2, d=4, n_ref=400, n=400, models=2)
    worse = FeatureSet(gens[0].pool + np.float32(1.5))  # far from the reference
    points, reps = paired(["fid", "precision"], [{SPACE: gens[0]}, {SPACE: worse}], {SPACE: ref}, {}, 50, 0)
    fid, prec = judge(
        [
            make_limit("fid", "increase", 0.0, "--max-fid-increase"),
            make_limit("precision", "decrease", 0.0, "--max-decrease"),
        ],
        points,
        reps,
        0.05,
    )
    assert not fid.passed and fid.line.startswith("FAIL fid") and fid.diff > 0
    assert not prec.passed and prec.line.startswith("FAIL precision") and prec.diff < 0
    back = judge(
        [make_limit("fid", "increase", 0.0, "x")], {"fid": points["fid"][::-1]}, {"fid": reps["fid"][::-1]}, 0.05
    )[0]
    assert back.passed  # an improvement never fails a change limit
