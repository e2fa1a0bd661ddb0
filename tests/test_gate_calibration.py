"""Calibration of the quality gate (issue 13): it must not cry wolf, and it must catch real regressions.

Synthetic Gaussian features (no Inception: the gate's statistics are what is measured), the gate's
own code path (paired.py's bootstrap at its default 200 replicates, check.judge's decision), seeded.

- False alarms: 200 null comparisons (baseline and candidate two draws of one distribution, a third
  draw the reference), `--max-fid-increase 0` at alpha 0.05, the strictest gate. The rate must be at
  most alpha + 3 standard errors of a rate estimated from 200 trials.
- Power: at N = 5,000 per set (d = 16), a mean shift of 0.2 standard deviations in one feature raises
  the true FID by 0.04 (FID of two draws of one distribution here: ~0.006); the gate must fail in at
  least 90% of 60 draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.defaults import DEFAULTS
from ganbench.features.featureset import FeatureSet
from ganbench.gates.check import judge, make_limit
from ganbench.gates.paired import paired

SPACE = "inception-v3-compat"
ALPHA = 0.05
pytestmark = pytest.mark.usefixtures("one_thread")


def _gate_fails(seed: int, n: int, d: int, shift: float) -> bool:
    rng = np.random.default_rng([20261202, seed])
    ref, base, cand = (rng.normal(size=(n, d)).astype(np.float32) for _ in range(3))
    cand[:, 0] += np.float32(shift)
    points, reps = paired(
        ["fid"],
        [{SPACE: FeatureSet(base)}, {SPACE: FeatureSet(cand)}],
        {SPACE: FeatureSet(ref)},
        {},
        DEFAULTS["gate_bootstrap"],
        seed,
    )
    return not judge([make_limit("fid", "increase", 0.0, "--max-fid-increase")], points, reps, ALPHA)[0].passed


def test_false_alarm_rate_of_the_gate_on_null_comparisons():
    trials = 200
    rate = np.mean([_gate_fails(s, n=1000, d=8, shift=0.0) for s in range(trials)])
    bound = ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / trials)
    print(f"false-alarm rate {rate:.3f} over {trials} null comparisons (bound {bound:.3f})")
    assert rate <= bound


def test_power_of_the_gate_for_a_real_fid_regression_at_5k():
    draws = 60
    rate = np.mean([_gate_fails(1000 + s, n=5000, d=16, shift=0.2) for s in range(draws)])
    print(f"power {rate:.3f} over {draws} draws (FID +0.04 at N = 5000)")
    assert rate >= 0.9
