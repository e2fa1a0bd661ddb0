"""The conditional baseline end to end on CPU (issue 22): cgan-pd trains a few steps with --labels, resumes
after a kill to identical weights, and samples per class (`ganbench sample RUN --classes`), the labels
written with the samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
SMALL = {"batch_size": 8, "g_batch_size": 8, "n_dis": 1}


@pytest.fixture(scope="module")
def labelled(cifar_excerpt, tmp_path_factory):
    """48 CIFAR-10 images of classes 0..9 with their labels, as one multi-array .npz."""
    path = tmp_path_factory.mktemp("data") / "labelled.npz"
    np.savez(path, images=cifar_excerpt["train_images"][:48], labels=cifar_excerpt["train_labels"][:48])
    return path


@pytest.fixture(scope="module")
def run(labelled, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cgan"
    ganbench.train("cgan-pd", out=out, data=labelled, key="images", labels="labels", steps=2, set=SMALL, progress=False)
    return out


from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


def test_cgan_pd_trains_with_labels_and_records_its_classes(run):
    meta = json.loads((run / "run.json").read_text())
    assert meta["baseline"] == "cgan-pd" and meta["config"]["conditional"] is True
    assert meta["data"]["num_classes"] == 10 and meta["data"]["count"] == 48
    t = _tensors(run)
    # conditional BN in G (one scale and shift per class), the spectrally normalised projection in D
    assert t["G.block2.b1.embed.weight"].shape == (10, 512) and "D.embed.weight_orig" in t and "D.embed.weight_u" in t
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["loss_d"]) for r in log if r["kind"] == "train")


def test_cgan_pd_without_labels_is_one_line(labelled, tmp_path):
    res = CliRunner().invoke(
        cli,
        ["train", "cgan-pd", "--data", str(labelled), "--key", "images", "--steps", "1", "--out", str(tmp_path / "r")],
    )
    assert res.exit_code == 2 and "needs labels" in res.output and "--labels" in res.output
    assert len(res.output.strip().splitlines()) == 1
    with pytest.raises(GanbenchError, match="class-conditional: train it with conditional=true"):
        ganbench.train(
            "cgan-pd",
            out=tmp_path / "s",
            data=labelled,
            key="images",
            steps=1,
            set={**SMALL, "conditional": "false"},
            progress=False,
        )


def test_cgan_pd_resumes_after_a_kill_to_identical_weights(labelled, tmp_path):
    kw = dict(
        data=labelled,
        key="images",
        labels="labels",
        steps=2,
        set={**SMALL, "ema": "0.9"},
        checkpoint_every=1,
        progress=False,
    )
    ganbench.train("cgan-pd", out=tmp_path / "full", **kw)
    ganbench.train("cgan-pd", out=tmp_path / "cut", **kw)
    # as if killed after step 1's checkpoint: the later checkpoint gone, the log cut mid-line
    checkpoint.path_for(tmp_path / "cut", 2).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 1, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)  # the labels option comes back from the run
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    assert any(k.startswith("G_ema.") for k in _tensors(tmp_path / "cut"))


def test_sample_per_class_writes_labels_in_the_npz_and_class_folders(run, tmp_path):
    r = CliRunner().invoke(
        cli, ["sample", str(run), "-n", "12", "--classes", "uniform", "-o", str(tmp_path / "u.npz"), "--json", "-"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert (
        summary["classes"] == list(range(10))
        and summary["class_counts"]["0"] == 2
        and summary["class_counts"]["9"] == 1
    )
    with np.load(tmp_path / "u.npz") as z:
        x, y = z["arr_0"], z["labels"]
    assert x.shape == (12, 32, 32, 3) and y.tolist() == [i % 10 for i in range(12)]
    r = CliRunner().invoke(cli, ["sample", str(run), "-n", "6", "--classes", "0,3,7", "-o", str(tmp_path / "s.npz")])
    assert r.exit_code == 0, r.output
    with np.load(tmp_path / "s.npz") as z:
        y = z["labels"]
        assert y.tolist() == [0, 3, 7, 0, 3, 7]
        # the latents do not depend on the classes asked: sample 0 is class 0 in both files
        assert np.array_equal(z["arr_0"][0], x[0])
        assert not np.array_equal(z["arr_0"][1], x[1])  # same latent, class 3 instead of 1: G reads the class
    r = CliRunner().invoke(cli, ["sample", str(run), "-n", "6", "--classes", "3,7", "-o", str(tmp_path / "dir")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "dir").iterdir()) == ["3", "7"]
    assert sorted(p.name for p in (tmp_path / "dir" / "7").iterdir()) == ["1.png", "3.png", "5.png"]
    # the Python API does the same
    samples, info = ganbench.sample(run, 4, classes=[7, 2], progress=False)
    assert info["labels"].tolist() == [7, 2, 7, 2] and samples.shape == (4, 32, 32, 3)


@pytest.mark.parametrize(
    "classes, message",
    [
        ("10", "has classes 0..9, not 10; pass classes in that range, or uniform"),
        ("0,x", "pass uniform or class numbers separated by commas"),
        ("3,3", "a class is listed twice"),
    ],
)
def test_bad_classes_are_one_line_and_write_nothing(run, tmp_path, classes, message):
    r = CliRunner().invoke(cli, ["sample", str(run), "-n", "4", "--classes", classes, "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (tmp_path / "x.npz").exists()


def test_classes_of_an_unconditional_run_are_refused(cifar_excerpt, tmp_path):
    np.save(tmp_path / "x.npy", cifar_excerpt["train_images"][:16])
    ganbench.train(
        "dcgan",
        out=tmp_path / "u",
        data=tmp_path / "x.npy",
        steps=1,
        set={"batch_size": 8, "g_batch_size": 8},
        progress=False,
    )
    r = CliRunner().invoke(
        cli, ["sample", str(tmp_path / "u"), "-n", "4", "--classes", "uniform", "-o", str(tmp_path / "x.npz")]
    )
    assert r.exit_code == 2 and "trained without classes (conditional=false): leave --classes out" in r.output
    assert not (tmp_path / "x.npz").exists()


def test_eval_of_a_conditional_run_scores_intra_fid_with_the_classes_it_sampled(run, cifar_excerpt, tmp_path):
    from faults import TinyExtractor

    from ganbench.train import evaluate_run

    np.savez(tmp_path / "ref.npz", images=cifar_excerpt["test_images"][:60], labels=cifar_excerpt["test_labels"][:60])
    res = evaluate_run(
        run,
        tmp_path / "ref.npz",
        ["intra-fid"],
        n=40,
        classes="0,1",
        ref_key="images",
        extractor=TinyExtractor(),
        use_cache=False,
        progress=False,
    )
    v = res.metrics["intra-fid"]
    assert v.extra["classes"] == 2 and [c[0] for c in v.extra["counts"].values()] == [20, 20]
    assert res.provenance["samples"]["labels"]["source"] == "array" and res.run["baseline"] == "cgan-pd"
    assert any("the mean is over the 2 classes they hold" in w for w in res.warnings)


def test_eval_classes_are_checked_before_any_work(run, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((4, 32, 32, 3), np.uint8))
    for args, message in (
        ([run, "--classes", "12"], "has classes 0..9, not 12"),
        ([tmp_path / "x.npy", "--classes", "0,1"], "is not a run folder; --classes samples a trained run"),
    ):
        r = CliRunner().invoke(cli, ["eval", *map(str, args), "--ref", str(tmp_path / "x.npy"), "--n", "8"])
        assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
