"""`compare` and `check` with the models' training set (--train): the metrics that read it are compared and
gated, the training set is held fixed in the paired bootstrap, and records made against another training
set are refused. Features are passed as FeatureSets (no extraction) except in the one CLI test on folders."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.features.featureset import FeatureSet
from ganbench.metrics import METRICS

D = 16


@pytest.fixture(scope="module")
def sets():
    """A training set, a held-out set from the same law, a fresh model's samples and a copier's."""
    rng = np.random.default_rng(0)
    train, test, fresh = (rng.normal(size=(n, D)).astype(np.float32) for n in (120, 100, 100))
    copies = train[rng.permutation(len(train))[:100]] + np.float32(1e-3) * rng.normal(size=(100, D)).astype(np.float32)
    return {k: FeatureSet(v) for k, v in {"train": train, "test": test, "fresh": fresh, "copies": copies}.items()}


def _direct(name, gen, sets):
    more = {"train": sets["train"]} if METRICS.get(name).uses_train else {}
    return METRICS.get(name).compute(gen, sets["test"], {}, None, **more).value


@pytest.mark.filterwarnings("ignore:fld-gap = ")  # the copier's: the reference's own warning
def test_compare_with_train_compares_ct_by_its_distance_from_zero(sets, inception_weights):
    from ganbench.gates import compare

    kw = {"weights": inception_weights, "bootstrap": 30, "train": sets["train"], "labels": ["fresh", "copies"]}
    c = compare([sets["fresh"], sets["copies"]], sets["test"], "ct,fld-gap,authpct", **kw)
    for name in ("ct", "fld-gap", "authpct"):  # the point values are the metric's own, with the training set
        assert [v["value"] for v in c.values[name]] == pytest.approx(
            [_direct(name, sets[k], sets) for k in ("fresh", "copies")], rel=1e-6
        )
    ct = [v["value"] for v in c.values["ct"]]
    assert ct[1] < -5 < ct[0]  # the copier's Z is far below 0
    pair = c.pairs["ct"][0]
    assert pair["diff"] == pytest.approx(abs(ct[1]) - abs(ct[0])) and pair["ci"][0] > 0 and pair["p"] < 0.1
    assert c.to_dict()["better"] == {"ct": "zero", "fld-gap": "zero", "authpct": "higher"}
    assert "|ct|" in c.table() and "|fld-gap|" in c.table()
    assert c.pairs["authpct"][0]["diff"] < 0  # copies are not authentic


def test_check_with_train_fails_a_copier_and_passes_a_fresh_model(sets, inception_weights):
    from ganbench.gates import check, make_limit

    limits = [make_limit("ct", "increase", 1.0, "--max-increase"), make_limit("ct", "max", 3.0, "--max")]
    kw = {"weights": inception_weights, "bootstrap": 30, "train": sets["train"]}
    bad = check(sets["copies"], sets["test"], sets["fresh"], limits, **kw)
    assert not bad.passed and [o.passed for o in bad.outcomes] == [False, False]
    assert bad.outcomes[0].line.startswith("FAIL |ct|") and bad.outcomes[0].line.endswith("max |ct| increase 1)")
    assert bad.outcomes[1].line.startswith("FAIL |ct|") and bad.outcomes[1].line.endswith("must be <= 3)")
    fine = check(sets["fresh"], sets["test"], sets["fresh"], limits, **kw)
    assert fine.passed, fine.table()


def test_metrics_needing_train_refuse_to_start_without_it(sets, inception_weights):
    from ganbench.gates import compare

    with pytest.raises(GanbenchError, match="ct, fld need the model's training set: pass --train PATH"):
        compare([sets["fresh"], sets["copies"]], sets["test"], "ct,fld", weights=inception_weights)
    with pytest.raises(GanbenchError, match="ct needs at least 64 training images, got 30: pass a larger --train"):
        compare(
            [sets["fresh"], sets["copies"]],
            sets["test"],
            "ct",
            weights=inception_weights,
            train=FeatureSet(sets["train"].pool[:30]),
        )


def test_cli_compare_and_check_take_train_and_refuse_records_of_another_training_set(
    tmp_path, cifar_excerpt, inception_weights, monkeypatch
):
    """Tiny image folders through the CLI: compare and check with --train; a record whose training set is
    another one is refused with one line, as is a gate without --train."""
    from PIL import Image

    monkeypatch.setenv("GANBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    tr, te = cifar_excerpt["train_images"], cifar_excerpt["test_images"]
    for name, images in {"train": tr[:24], "other": tr[24:48], "held": te[:24], "a": te[24:48], "b": tr[:24]}.items():
        (tmp_path / name).mkdir()
        for i, im in enumerate(images):
            Image.fromarray(im).save(tmp_path / name / f"{i:03d}.png")

    def run(*args):
        return CliRunner().invoke(cli, [*map(str, args), "--weights", str(inception_weights)])

    out = run("compare", "a", "b", "--ref", "held", "--train", "train", "--metrics", "authpct", "--bootstrap", "20")
    assert out.exit_code == 0, out.output
    assert "authpct" in out.output  # b is the training images themselves: authpct 0
    out = run("check", "b", "--ref", "held", "--train", "train", "--baseline", "a", "--max-decrease", "authpct=5")
    assert out.exit_code == 1 and "FAIL authpct" in out.output, out.output
    out = run(
        "eval", "a", "--ref", "held", "--train", "other", "--metrics", "authpct", "--save-features", "a.f.npz",
        "--json", "a.json",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads((tmp_path / "a.json").read_text())["provenance"]["train"]["count"] == 24
    out = run(
        "compare", "a.json", "b", "--ref", "held", "--train", "train", "--metrics", "authpct", "--bootstrap", "20"
    )
    errors = [x for x in out.output.splitlines() if x.startswith("ganbench: error:")]
    assert out.exit_code == 2 and len(errors) == 1 and "training sets differ" in errors[0], out.output
    out = run("check", "b", "--ref", "held", "--baseline", "a", "--max-increase", "ct=1")
    errors = [x for x in out.output.splitlines() if x.startswith("ganbench: error:")]
    assert out.exit_code == 2 and errors == [
        "ganbench: error: ct needs the model's training set: pass --train PATH (and the held-out test set as --ref)"
    ], out.output


def test_a_training_set_matters_only_to_the_metrics_that_read_it():
    """Records scored against other training sets (or one without) compare on fid, not on ct."""
    from ganbench.records import comparable

    def prov(metrics, train=None):
        p = {"samples": {"count": 100}, "reference": {"name": "held", "count": 100}, "metrics": metrics}
        return {"provenance": {**p, **({"train": {"name": train, "count": 120}} if train else {})}}

    assert comparable(prov(["fid", "ct"], "t1"), prov(["fid"])) == []
    assert comparable(prov(["fid", "ct"], "t1"), prov(["fid", "ct"], "t2")) == [
        "training sets differ (t1 vs t2): ct, fld, mifid and authpct read them"
    ]
    assert comparable(prov(["ct"], "t1"), prov(["ct"]))  # ct without any training set: refused
