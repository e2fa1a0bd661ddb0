"""authpct, sw-approx and the data-copying tests (ct, ct-modified, ct-test): equal to dgm-eval's outputs
(tests/data/dgm_eval_reference.json, benchmarks/reference/dgm_eval_fixture.py), known answers computed
here from the formulas, and the behaviour they exist for on real CIFAR-10 features."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ganbench.errors import GanbenchError
from ganbench.metrics import METRICS
from ganbench.metrics.base import Features
from ganbench.metrics.data_copying import mann_whitney_z

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "reference"))
from dgm_eval_fixture import inputs  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


def _run(name, gen, ref, train=None, **opts):
    more = {"train": Features(train)} if train is not None and METRICS.get(name).uses_train else {}
    return METRICS.get(name).compute(Features(gen), Features(ref), opts, np.random.default_rng(0), **more)


@pytest.mark.parametrize("case", ["fresh", "copies"])
def test_equal_to_dgm_eval(case):
    want = json.loads((ROOT / "tests" / "data" / "dgm_eval_reference.json").read_text())["cases"][case]
    train, test, fresh, copies = inputs()
    gen = fresh if case == "fresh" else copies
    # ct: the same seeded k-means on the same 64 principal components, the same U: equal to rounding
    assert _run("ct", gen, test, train).value == pytest.approx(want["ct"], abs=1e-9)
    assert _run("ct-modified", gen, test, train).value == pytest.approx(want["ct-modified"], abs=1e-9)
    assert _run("ct-test", gen, test).value == pytest.approx(want["ct-test"], abs=1e-9)
    # authpct: dgm-eval's percentage is a float32 tensor (94.80000305...)
    assert _run("authpct", gen, train).value == pytest.approx(want["authpct"], abs=1e-4)
    assert _run("sw-approx", gen, train).value == pytest.approx(want["sw-approx"], rel=1e-12)


def test_mann_whitney_z_counts_pairs():
    rng = np.random.default_rng(1)
    lq = np.round(rng.exponential(size=37), 1)  # rounded: ties, which count 1/2
    lp = np.round(rng.exponential(size=23) + 0.2, 1)
    u = (lq[:, None] > lp[None, :]).sum() + 0.5 * (lq[:, None] == lp[None, :]).sum()
    m, n = len(lq), len(lp)
    assert mann_whitney_z(lq, lp) == pytest.approx(
        (u - (m * n / 2 - 0.5)) / np.sqrt(m * n * (m + n + 1) / 12), rel=1e-12
    )


def test_ct_with_one_cell_is_the_z_of_the_nearest_training_distances():
    rng = np.random.default_rng(2)
    train, test, gen = rng.normal(size=(60, 5)), rng.normal(size=(40, 5)), rng.normal(size=(50, 5)) * 0.8

    def nearest(x):
        return np.sqrt(((x[:, None, :] - train[None, :, :]) ** 2).sum(-1)).min(1)

    lq, lp = nearest(gen), nearest(test)
    u = (lq[:, None] > lp[None, :]).sum() + 0.5 * (lq[:, None] == lp[None, :]).sum()
    m, n = len(gen), len(test)
    z = (u - (m * n / 2 - 0.5)) / np.sqrt(m * n * (m + n + 1) / 12)
    assert _run("ct", gen, test, train, ct_cells=1).value == pytest.approx(z, rel=1e-9)


def test_authpct_and_sw_approx_from_their_formulas():
    rng = np.random.default_rng(3)
    real, gen = rng.normal(size=(70, 6)), rng.normal(size=(50, 6)) * 1.3 + 0.2
    d_rr = np.sqrt(((real[:, None] - real[None]) ** 2).sum(-1))
    np.fill_diagonal(d_rr, np.inf)
    d_rg = np.sqrt(((real[:, None] - gen[None]) ** 2).sum(-1))  # (real, gen)
    nearest = d_rg.argmin(0)
    want = 100 * np.mean(d_rr.min(1)[nearest] < d_rg.min(0))
    assert _run("authpct", gen, real).value == pytest.approx(want, abs=1e-12)
    d = real.shape[1]
    spread = [np.sqrt(np.var(x, axis=0).sum() / d) for x in (real, gen)]  # E|x - m|^2 = sum of variances
    want = np.sqrt(((real.mean(0) - gen.mean(0)) ** 2).sum() / d + (spread[0] - spread[1]) ** 2)
    assert _run("sw-approx", gen, real).value == pytest.approx(want, rel=1e-12)
    assert _run("sw-approx", real, real).value == 0.0


def test_intervals_and_errors():
    train, test, fresh, _ = inputs()
    for name, ref in (("ct", test), ("authpct", train), ("sw-approx", train)):
        v = _run(name, fresh, ref, train, bootstrap=30)
        assert v.ci[0] <= v.value <= v.ci[1], name
    with pytest.raises(GanbenchError, match="--train"):
        METRICS.get("ct").compute(Features(fresh), Features(test), {}, None)
    with pytest.raises(GanbenchError, match="ct_cells"):
        _run("ct", fresh[:30], test[:3], train, ct_cells=8)  # cells without any test image
    with pytest.raises(GanbenchError, match="more than 20"):
        _run("ct", fresh[:20], test, train)


def test_ct_without_train_stops_before_extraction(inception_weights):
    import ganbench

    train, test, fresh, _ = inputs()
    with pytest.raises(GanbenchError, match="ct, ct-modified need the model's training set: pass --train"):
        ganbench.evaluate(
            np.zeros((4, 8, 8, 3), np.uint8),
            np.zeros((4, 8, 8, 3), np.uint8),
            metrics="ct,ct-modified,sw-approx",
            weights=inception_weights,
        )
    images = np.zeros((70, 8, 8, 3), np.uint8)
    with pytest.raises(GanbenchError, match="ct needs at least 64 training images, got 30: pass a larger --train"):
        ganbench.evaluate(images, images, metrics="ct", train=images[:30], weights=inception_weights)
    with pytest.raises(GanbenchError, match="ct-modified needs at least 64 generated samples, got 40"):
        ganbench.evaluate(images[:40], images, metrics="ct-modified", train=images, weights=inception_weights)


def test_cli_names_the_missing_training_set(tmp_path, inception_weights):
    from click.testing import CliRunner

    from ganbench.cli import cli

    images = np.zeros((30, 8, 8, 3), np.uint8)
    for name in ("a", "b"):
        np.savez(tmp_path / f"{name}.npz", images)
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(tmp_path / "a.npz"),
            "--ref",
            str(tmp_path / "b.npz"),
            "--metrics",
            "ct,vendi",
            "--weights",
            str(inception_weights),
        ],
    )
    assert r.exit_code != 0 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "ganbench: error: ct needs the model's training set: pass --train PATH (and the held-out test set as --ref)"
    )


@pytest.mark.slow
def test_copies_of_the_training_set_on_real_features(cifar_excerpt, inception_weights):
    """Random-init Inception features of real CIFAR-10 images (the agreement tests' weights): a generator that
    returns its training images scores authpct 0 and a strongly negative ct; one that returns unseen real
    images scores neither. The sides go through evaluate() as features, --train among them."""
    import ganbench
    from ganbench.features import InceptionExtractor

    n = 100
    images = np.concatenate([cifar_excerpt["train_images"][:n], cifar_excerpt["test_images"][: 2 * n]])
    pool = InceptionExtractor(weights=inception_weights, device="cpu")(images)[0]
    train, heldout, unseen = pool[:n], pool[n : 2 * n], pool[2 * n :]
    copies = train[np.random.default_rng(0).permutation(n)]  # the features the same images have
    metrics = "authpct,ct,ct-modified,sw-approx,mifid"
    got = {}
    for label, gen in (("copies", copies), ("unseen", unseen)):
        r = ganbench.evaluate(
            Features(gen), Features(heldout), metrics, train=Features(train), weights=inception_weights
        )
        assert r.provenance["train"]["count"] == n
        got[label] = r.metrics
    assert got["copies"]["authpct"].value == 0.0
    assert got["unseen"]["authpct"].value > 20
    assert got["copies"]["ct"].value < -5 < got["unseen"]["ct"].value
    assert got["copies"]["ct-modified"].value < -5
    # random-init Inception features are nearly collinear, so both are under mifid's 0.1 threshold: copies at 0
    assert (
        got["copies"]["mifid"].extra["memorization_distance"]
        < 1e-6
        < got["unseen"]["mifid"].extra["memorization_distance"]
    )


def test_gates_run_the_newer_metrics_and_refuse_those_needing_train():
    """compare/check's paired bootstrap takes any metric through the metric's own computation on resamples."""
    from ganbench.features.featureset import FeatureSet
    from ganbench.gates.compare import compare
    from ganbench.gates.paired import paired

    rng = np.random.default_rng(0)
    space = "inception-v3-compat"
    ref = FeatureSet(rng.normal(size=(200, 64)).astype(np.float32))
    gens = [
        {space: FeatureSet(rng.normal(size=(200, 64)).astype(np.float32))},
        {space: FeatureSet((rng.normal(size=(200, 64)) * 1.3).astype(np.float32))},
    ]
    names = ["vendi", "sw-approx", "authpct", "mifid", "rarity", "topp", "topr"]
    points, reps = paired(names, gens, {space: ref}, {}, 5, 0)
    assert set(reps) == set(names) and all(np.isfinite(reps[n]).all() and reps[n].shape == (2, 5) for n in names)
    assert points["sw-approx"][0].value < points["sw-approx"][1].value  # the wider set is farther
    with pytest.raises(GanbenchError, match="ct, fld need the model's training set: pass --train"):
        compare(["a", "b"], "ref", metrics="ct,fld")


def test_streaming_metrics_take_the_training_set(cifar_excerpt, inception_weights):
    import ganbench

    train, heldout = cifar_excerpt["train_images"][:16], cifar_excerpt["test_images"][:16]
    with pytest.raises(GanbenchError, match="pass --train"):
        ganbench.Metrics(["ct"], ref=heldout, weights=inception_weights)
    m = ganbench.Metrics(["authpct"], ref=heldout, train=train, weights=inception_weights, device="cpu")
    import torch

    copies = torch.from_numpy(train[::-1].copy()).permute(0, 3, 1, 2)  # copies of the training set, in two batches
    m.update(copies[:8])
    m.update(copies[8:])
    r = m.compute()
    assert r.metrics["authpct"].value == 0.0 and r.metrics["authpct"].extra["against"] == "train"
    assert r.provenance["train"]["count"] == 16


def test_records_against_other_training_sets_are_not_comparable(inception_weights):
    import ganbench
    from ganbench.records import comparable

    train, test, fresh, _ = inputs()
    pad = np.zeros((len(train), 2048 - train.shape[1]), np.float32)  # as Inception pool3 rows
    wide = [Features(np.hstack([a, pad[: len(a)]])) for a in (train, test, fresh)]

    def run(t):
        return ganbench.evaluate(wide[2], wide[1], "authpct", train=t, weights=inception_weights)

    a, b, c = run(wide[0]), run(wide[0]), run(Features(wide[0].pool[:200]))
    assert comparable(a, b) == []
    assert any("training sets differ" in r for r in comparable(a, c))
    assert comparable(a, ganbench.evaluate(wide[2], wide[1], "authpct", weights=inception_weights))  # none vs one
