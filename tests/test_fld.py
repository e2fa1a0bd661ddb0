"""FLD: equal to marcojira/fld on seeded features (tests/data/fld_reference.json, from
benchmarks/reference/fld_fixture.py), its mixture likelihood from the formula, and what it is for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.fld import Mixture, fld

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "reference"))
from fld_fixture import inputs  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("case", ["fresh", "copies", "narrow"])
def test_fld_equals_the_reference(case):
    want = json.loads((ROOT / "tests" / "data" / "fld_reference.json").read_text())["cases"][case]
    train, test, gens = inputs()
    # the same float32 torch operations in the same order on the same shuffles: equal on this machine;
    # the tolerance leaves room for other BLAS builds, whose rounding 50 Adam steps may carry
    assert fld(train, test, gens[case], 0, "test")["value"] == pytest.approx(want["fld"], rel=1e-4, abs=1e-3)
    assert fld(train, test, gens[case], 0, "gap")["value"] == pytest.approx(want["fld-gap"], rel=1e-4, abs=1e-3)


def test_mixture_nll_is_the_formula():
    import torch
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(4)
    centres, x = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    m = Mixture(torch.as_tensor(centres, dtype=torch.float64))
    log_sigmas = rng.normal(0, 0.3, 7)  # log variances
    m.log_sigmas = torch.as_tensor(log_sigmas)
    lls = np.array(
        [[multivariate_normal(c, np.exp(s) * np.eye(3)).logpdf(p) for c, s in zip(centres, log_sigmas)] for p in x]
    )
    want = np.mean(-(logsumexp(lls, axis=1) - np.log(7)) / 3)
    assert m.nll(torch.as_tensor(x)) == pytest.approx(want, rel=1e-10)


def test_copies_score_high_fld_and_a_negative_gap():
    train, test, gens = inputs()
    fresh, copies = (METRICS.get(n) for n in ("fld", "fld-gap"))
    f = fresh.compute(Features(gens["fresh"]), Features(test), {}, None, train=Features(train))
    with pytest.warns(UserWarning, match="copies of the training set"):
        c = fresh.compute(Features(gens["copies"]), Features(test), {}, None, train=Features(train))
    assert abs(f.value) < 10 and c.value > 1000
    with pytest.warns(UserWarning, match="copies"):
        gap = copies.compute(Features(gens["copies"]), Features(test), {}, None, train=Features(train))
    assert gap.value < -1000
    with pytest.raises(GanbenchError, match="--train"):
        fresh.compute(Features(gens["fresh"]), Features(test), {}, None)
