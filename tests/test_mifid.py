"""MiFID: equal to torchmetrics' MemorizationInformedFrechetInceptionDistance on identical features
(its extractor replaced by the identity, so both read the same feature rows), and --train's role."""

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
    got = METRICS.get("mifid").compute(Features(fake), Features(real), {}, None)
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
