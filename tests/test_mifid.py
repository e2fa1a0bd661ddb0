"""MiFID: the authors' memorisation distance (jybai/generative-memorization-benchmark@3d999d8
src/competition_scoring.py: each generated image's nearest training image), computed independently here;
with -O mifid_direction=real, equal to torchmetrics' MemorizationInformedFrechetInceptionDistance on
identical features (its extractor replaced by the identity, so both read the same feature rows); --train's role."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features

torch = pytest.importorskip("torch")
tm_mifid = pytest.importorskip("torchmetrics.image.mifid")


def _torchmetrics(real: np.ndarray, fake: np.ndarray) -> float:
    m = tm_mifid.MemorizationInformedFrechetInceptionDistance(feature=torch.nn.Identity())
    m.update(torch.from_numpy(real.astype(np.float64)), real=True)  # float64: no float32 rounding on its side
    m.update(torch.from_numpy(fake.astype(np.float64)), real=False)
    return float(m.compute())


def _sets(seed=0, n=120, d=24):
    rng = np.random.default_rng(seed)
    real = rng.gamma(2.0, 1.0, (n, d))  # non-negative, like pool3 features
    far = rng.gamma(2.0, 1.2, (n, d)) + 0.3
    copies = real[rng.permutation(n)] * 1.01 + rng.normal(0, 0.02, (n, d))  # near-copies of the real set
    return real.astype(np.float32), far.astype(np.float32), copies.astype(np.float32)


@pytest.mark.parametrize("which", ["far", "copies"])
def test_mifid_equals_torchmetrics(which):
    real, far, copies = _sets()
    fake = far if which == "far" else copies
    got = METRICS.get("mifid").compute(Features(fake), Features(real), {"mifid_direction": "real"}, None)
    want = _torchmetrics(real, fake)
    # tolerance: FID by an exact symmetric square root here, by eigvals of S1 S2 in torchmetrics
    assert got.value == pytest.approx(want, rel=1e-6)
    assert got.extra["penalised"] is (which == "copies")
    if which == "copies":  # the memorisation penalty is what makes MiFID exceed FID
        assert got.value > 5 * got.extra["fid"]
    else:
        assert got.value == pytest.approx(got.extra["fid"], rel=1e-12)


def test_mifid_reads_train_for_memorisation_and_gives_an_interval():
    real, far, copies = _sets()
    _, heldout, _ = _sets(seed=1)
    m = METRICS.get("mifid")
    plain = m.compute(Features(copies), Features(heldout), {}, None)
    with_train = m.compute(
        Features(copies), Features(heldout), {"bootstrap": 30}, np.random.default_rng(0), train=Features(real)
    )
    assert not plain.extra["penalised"] and with_train.extra["penalised"]
    assert with_train.extra["fid"] == plain.extra["fid"]  # FID stays against --ref
    assert with_train.ci[0] <= with_train.value <= with_train.ci[1]
    with pytest.raises(GanbenchError, match="mifid_eps"):
        m.validate({"mifid_eps": 0.0})
    with pytest.raises(GanbenchError, match="mifid_direction=generated"):
        m.validate({"mifid_direction": "fake"})


def _authors_distance(gen: np.ndarray, train: np.ndarray) -> float:
    """competition_scoring.cosine_distance(features1=generated, features2=training), written out."""
    g = gen[gen.sum(1) != 0].astype(np.float64)
    t = train[train.sum(1) != 0].astype(np.float64)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    return float(np.mean(np.min(1.0 - np.abs(g @ t.T), axis=1)))


def test_the_default_is_the_authors_direction_and_it_sees_a_few_copied_training_images():
    rng = np.random.default_rng(3)
    train = rng.gamma(2.0, 1.0, (400, 24)).astype(np.float32)
    heldout = rng.gamma(2.0, 1.0, (200, 24)).astype(np.float32)
    fresh = (rng.gamma(2.0, 1.2, (200, 24)) + 0.3).astype(np.float32)
    # half the samples copy just 10 training images: most training images stay far from every sample
    copies = np.concatenate([fresh[:100], train[rng.integers(0, 10, 100)]])
    m = METRICS.get("mifid")
    for gen in (fresh, copies):
        got = m.compute(Features(gen), Features(heldout), {}, None, train=Features(train))
        assert got.extra["memorization_distance"] == pytest.approx(_authors_distance(gen, train), rel=1e-12)
        assert got.extra["direction"] == "generated"
    authors = m.compute(Features(copies), Features(heldout), {}, None, train=Features(train))
    real_side = m.compute(Features(copies), Features(heldout), {"mifid_direction": "real"}, None, train=Features(train))
    assert authors.extra["memorization_distance"] < 0.6 * real_side.extra["memorization_distance"]
    boot = m.compute(
        Features(copies), Features(heldout), {"bootstrap": 30}, np.random.default_rng(0), train=Features(train)
    )
    assert boot.ci[0] <= boot.value <= boot.ci[1]
