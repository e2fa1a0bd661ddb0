"""Rarity score: equal to hichoe95/Rarity-Score's per-sample scores (tests/data/rarity_reference.json, from
benchmarks/reference/rarity_fixture.py), a known answer from the definition, and what it is for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.rarity import rarity_scores

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "reference"))
from rarity_fixture import inputs  # noqa: E402


def test_rarity_equals_the_reference():
    want = json.loads((ROOT / "tests" / "data" / "rarity_reference.json").read_text())
    real, fake = inputs()
    got = rarity_scores(fake, real, 3)
    # float64 distances on both sides, by other formulas: equal to rounding, and the same samples inside
    np.testing.assert_allclose(got, want["scores"], rtol=1e-12, atol=0)
    assert np.flatnonzero(got > 0).tolist() == sorted(want["sorted_ids"])
    v = METRICS.get("rarity").compute(Features(fake), Features(real), {"bootstrap": 30}, np.random.default_rng(0))
    inside = np.array(want["scores"]) > 0
    assert v.value == pytest.approx(np.array(want["scores"])[inside].mean(), rel=1e-12)
    assert v.extra["inside_fraction"] == inside.mean() and v.extra["per_sample"] == pytest.approx(want["scores"])
    assert v.ci[0] <= v.value <= v.ci[1]


def test_rarity_from_its_definition_and_sparse_regions_score_higher():
    rng = np.random.default_rng(5)
    real = np.concatenate([rng.normal(0, 0.5, (60, 4)), rng.normal(8, 3, (20, 4))])
    fake = np.concatenate([rng.normal(0, 0.5, (30, 4)), rng.normal(8, 3, (15, 4)), np.full((1, 4), 100.0)])
    d_rr = np.sqrt(((real[:, None] - real[None]) ** 2).sum(-1))
    radius = np.sort(d_rr, axis=1)[:, 3]  # the 3rd nearest other real image
    d_rg = np.sqrt(((real[:, None] - fake[None]) ** 2).sum(-1))
    want = np.array(
        [radius[d_rg[:, j] < radius].min() if (d_rg[:, j] < radius).any() else 0.0 for j in range(len(fake))]
    )
    got = rarity_scores(fake, real, 3)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert got[-1] == 0.0  # far off the real manifold: left out
    assert np.median(got[30:45][got[30:45] > 0]) > 3 * np.median(got[:30][got[:30] > 0])  # sparse part: rarer
