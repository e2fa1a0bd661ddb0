"""`ganbench diagnose` end to end, with a stand-in feature extractor (a fixed random projection of the
pixels, so identical images get identical features) in place of Inception; and the toy benchmarks."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.diagnose import run as diagnose_run


class Projection:
    """A stand-in extractor run by the real pipeline: a fixed random projection of the pixels."""

    dims = {"pool": 48, "logits": 10}
    preferred_batch = 64
    device = "cpu"
    weights = SimpleNamespace(official=False, sha256="0" * 64)

    def describe(self):
        return {
            "extractor": "test-projection",
            "weights_sha256": "0" * 64,
            "weights_official": False,
            "resize": "none",
            "dtype": "float32",
        }

    def __call__(self, images):
        x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        pool = x @ (np.random.default_rng(0).normal(size=(x.shape[1], 48)).astype(np.float32) / 255)
        return pool, pool[:, :10] * 3


@pytest.fixture
def images(cifar_excerpt, tmp_path, monkeypatch):
    monkeypatch.setattr(diagnose_run, "_make_extractor", lambda **kw: Projection())
    ref = cifar_excerpt["train_images"][:600]
    gen = cifar_excerpt["test_images"][:300].copy()
    gen[:30] = ref[:30]  # memorised
    gen[250:280] = gen[100:130]  # duplicated
    np.save(tmp_path / "gen.npy", gen)
    np.save(tmp_path / "ref.npy", ref)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def test_json_output_and_report(images):
    out = images / "report"
    r = invoke("diagnose", images / "gen.npy", "--ref", images / "ref.npy", "--out", out, "--k", 10, "--json", "-")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res == json.loads((out / "diagnostics.json").read_text())
    assert res["summary"]["exact_copies_of_reference"] == 30
    assert res["duplicates"]["exact_duplicate_rate"] == pytest.approx(30 / 300)
    assert res["classes"]["source"] == "Inception logits (argmax)"
    assert res["meta"]["weights_official"] is False
    assert any("unofficial" in w for w in res["warnings"])
    page = (out / "index.html").read_text()
    assert page.count('class="thumb"') >= 32  # memorised pairs and duplicate pairs as images


def test_text_output(images):
    r = invoke("diagnose", images / "gen.npy", "--ref", images / "ref.npy", "--k", 10)
    assert r.exit_code == 0, r.output
    assert "300 samples vs 600 reference images" in r.stdout
    assert "memorised_fraction" in r.stdout and "ndb_over_k" in r.stdout
    assert not (images / "report").exists()


def test_user_labels_replace_inception_classes(images):
    np.save(images / "gl.npy", np.r_[np.zeros(150, int), np.ones(150, int)])
    np.save(images / "rl.npy", np.arange(600) % 3)
    r = invoke(
        "diagnose",
        images / "gen.npy",
        "--ref",
        images / "ref.npy",
        "--k",
        10,
        "--json",
        "-",
        "--labels",
        images / "gl.npy",
        "--ref-labels",
        images / "rl.npy",
    )
    assert r.exit_code == 0, r.output
    cls = json.loads(r.stdout)["classes"]
    assert cls["source"] == "user labels" and cls["missing_significant"] == [2]


def _conditional_labels(d):
    """300 samples asked for classes 0..9 (30 each); a classifier right 90% of the time on the reference,
    right on the samples except class 3's (all called 5) and class 7's (one in three right)."""
    rng = np.random.default_rng(1)
    intended = np.arange(300) % 10
    pred = intended.copy()
    pred[intended == 3] = 5
    seven = np.flatnonzero(intended == 7)
    pred[seven[rng.permutation(len(seven))[:20]]] = 1
    true = np.arange(600) % 10
    ref_pred = np.where(rng.random(600) < 0.9, true, (true + 1) % 10)
    for name, arr in (("intended", intended), ("pred", pred), ("true", true), ("ref_pred", ref_pred)):
        np.save(d / f"{name}.npy", arr)


def test_diagnose_names_the_classes_a_conditional_model_drops(images):
    _conditional_labels(images)
    out = images / "report"
    r = invoke(
        "diagnose",
        images / "gen.npy",
        "--ref",
        images / "ref.npy",
        "--k",
        10,
        "--json",
        "-",
        "--out",
        out,
        "--labels",
        images / "pred.npy",
        "--ref-labels",
        images / "ref_pred.npy",
        "--intended",
        images / "intended.npy",
        "--ref-true",
        images / "true.npy",
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    cond = res["conditional"]
    assert cond["dropped"] == [3, 7] and cond["classes_asked"] == 10  # worst first
    rows = {c["class"]: c for c in cond["per_class"]}
    assert rows[3]["hit_rate"] == 0 and rows[7]["hit_rate"] == pytest.approx(10 / 30)
    true, ref_pred = np.load(images / "true.npy"), np.load(images / "ref_pred.npy")
    assert rows[0]["ceiling"] == pytest.approx((ref_pred[true == 0] == 0).mean(), abs=1e-6)
    assert res["summary"]["classes_dropped"] == 2 and res["summary"]["dropped_classes"] == "3 7"
    assert "Classes asked for" in (out / "index.html").read_text()
    # without the reference's labels: each class against how well the model follows the others
    r = invoke(
        "diagnose",
        images / "gen.npy",
        "--ref",
        images / "ref.npy",
        "--k",
        10,
        "--json",
        "-",
        "--labels",
        images / "pred.npy",
        "--ref-labels",
        images / "ref_pred.npy",
        "--intended",
        images / "intended.npy",
    )
    cond = json.loads(r.stdout)["conditional"]
    assert cond["dropped"] == [3, 7] and "other classes" in cond["ceiling"]


def test_a_model_that_follows_every_class_drops_none(images):
    _conditional_labels(images)
    np.save(images / "pred.npy", np.arange(300) % 10)
    r = invoke(
        "diagnose",
        images / "gen.npy",
        "--ref",
        images / "ref.npy",
        "--k",
        10,
        "--json",
        "-",
        "--labels",
        images / "pred.npy",
        "--ref-labels",
        images / "ref_pred.npy",
        "--intended",
        images / "intended.npy",
        "--ref-true",
        images / "true.npy",
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["conditional"]["dropped"] == []


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--intended", "{d}/gl.npy"), "--intended needs --labels"),
        (("--ref-true", "{d}/gl.npy"), "--ref-true without --intended"),
        (("--k", 5000), "--k"),
        (("--labels", "{d}/gl.npy"), "labels were given for only one set"),
        (("--ref", "no-such-reference"), "not a known reference"),
    ],
)
def test_errors_are_one_line(images, extra, message):
    np.save(images / "gl.npy", np.zeros(300, int))
    args = ["diagnose", images / "gen.npy", "--ref", images / "ref.npy", *[str(a).format(d=images) for a in extra]]
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert r.stderr.startswith("ganbench: error: ") and r.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------- toy benchmarks


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_toy_points_go_to_toydata_score(tmp_path, name):
    from ganbench import toydata

    pts, _ = toydata.make(name, 1000, 0)
    np.save(tmp_path / "pts.npy", pts)
    out = tmp_path / "rep"
    r = invoke("diagnose", tmp_path / "pts.npy", "--benchmark", name, "--out", out, "--json", "-")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["benchmark"] == name
    assert res["score"] == json.loads(json.dumps(toydata.score(name, pts)))
    page = (out / "index.html").read_text()
    assert page.count("data:image/png;base64,") == 1  # the scatter plot with the centres


def test_toy_points_without_benchmark_name(tmp_path):
    from ganbench import toydata

    np.save(tmp_path / "pts.npy", toydata.make("ring", 200, 0)[0])
    r = invoke("diagnose", tmp_path / "pts.npy")
    assert r.exit_code == 2 and "--benchmark ring" in r.stderr
    r = invoke("diagnose", tmp_path / "pts.npy", "--ref", "ring", "--json", "-")  # the benchmark as reference
    assert r.exit_code == 0 and json.loads(r.stdout)["score"]["modes_total"] == 8


def test_toy_stacked_digits(tmp_path):
    from ganbench import toydata

    imgs, _ = toydata.make("stacked-digits", 500, 0)
    np.save(tmp_path / "sd.npy", imgs)
    r = invoke("diagnose", tmp_path / "sd.npy", "--benchmark", "stacked-digits", "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    assert "modes_hit" in r.stdout and "toy benchmark stacked-digits" in r.stdout
    assert (tmp_path / "rep" / "index.html").exists()


def test_unknown_benchmark_is_one_line(tmp_path):
    np.save(tmp_path / "pts.npy", np.zeros((10, 2)))
    r = invoke("diagnose", tmp_path / "pts.npy", "--benchmark", "spiral")
    assert r.exit_code == 2 and "unknown benchmark 'spiral'" in r.stderr
