"""`ganbench train` / `sample` / eval of a run (issue 11), on CPU, with a few steps on small data."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, monitor

SMALL = {"batch_size": 8, "g_batch_size": 8}


@pytest.fixture(scope="module")
def images(cifar_excerpt, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train64.npz"
    np.savez(path, cifar_excerpt["train_images"][:64])
    return path


def _tensors(run_dir, step=None):
    steps = checkpoint.list_steps(run_dir)
    tensors, _meta = checkpoint.load(checkpoint.path_for(run_dir, steps[-1] if step is None else step))
    return tensors


def _same(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].numpy().tobytes() == b[k].numpy().tobytes(), k


@pytest.mark.parametrize("name", ["dcgan", "lsgan", "wgan-gp", "wgan-gp-resnet", "sngan", "sngan-resnet"])
def test_every_image_baseline_trains_a_step_on_cifar_images(name, images, tmp_path):
    out = tmp_path / "run"
    summary = ganbench.train(name, out=out, data=images, steps=1, set={**SMALL, "n_dis": 1}, progress=False)
    assert summary["step"] == 1 and np.isfinite(summary["last"]["loss_d"])
    run = json.loads((out / "run.json").read_text())
    assert run["baseline"] == name and run["data"]["count"] == 64 and run["config"]["batch_size"] == 8
    assert (out / "curves.png").stat().st_size > 0 and checkpoint.list_steps(out) == [1]


def test_toy_baselines_train_on_their_benchmarks(tmp_path):
    s = ganbench.train(
        "toy-conv",
        out=tmp_path / "c",
        steps=2,
        set={"batch_size": 16, "g_batch_size": 16},
        eval_every=2,
        eval_n=200,
        progress=False,
    )
    assert s["step"] == 2
    evals = [
        json.loads(x)
        for x in (tmp_path / "c" / "metrics.jsonl").read_text().splitlines()
        if json.loads(x)["kind"] == "eval"
    ]
    assert evals and "modes_hit" in evals[0] and evals[0]["modes_expected"] > 180
    ganbench.train("toy-mlp", out=tmp_path / "g", data="grid", steps=3, eval_every=3, eval_n=100, progress=False)
    ev = [
        json.loads(x)
        for x in (tmp_path / "g" / "metrics.jsonl").read_text().splitlines()
        if json.loads(x)["kind"] == "eval"
    ]
    assert ev[-1]["step"] == 3 and ev[-1]["modes_total"] == 25


def test_every_switch_runs_and_is_recorded(tmp_path):
    sets = {
        "ema": "0.99",
        "label_smoothing": "0.1",
        "label_flip": "0.05",
        "instance_noise": "0.1",
        "mbdisc": "8",
        "mbstd": "4",
        "r1": "1.0",
        "gp": "1.0",
        "weight_decay": "1e-4",
        "spectral_norm": "true",
        "lr_d": "4e-4",
        "lr_g": "1e-4",
        "n_dis": "2",
        "lr_schedule": "linear",
        "batch_size": "16",
        "g_batch_size": "16",
    }
    ganbench.train("toy-mlp", out=tmp_path / "r", steps=3, set=sets, progress=False)
    cfg = json.loads((tmp_path / "r" / "run.json").read_text())["config"]
    assert cfg["mbdisc"] == 8 and cfg["ema"] == 0.99 and cfg["spectral_norm"] is True and cfg["n_dis"] == 2
    assert any(k.startswith("G_ema.") for k in _tensors(tmp_path / "r"))


def test_same_seed_same_bytes_other_seed_other_weights(images, tmp_path):
    kw = dict(data=images, steps=2, set=SMALL, progress=False)
    ganbench.train("dcgan", out=tmp_path / "a", seed=3, **kw)
    ganbench.train("dcgan", out=tmp_path / "b", seed=3, **kw)
    ganbench.train("dcgan", out=tmp_path / "c", seed=4, **kw)
    _same(_tensors(tmp_path / "a"), _tensors(tmp_path / "b"))
    assert not np.array_equal(_tensors(tmp_path / "a")["G.main.0.weight"], _tensors(tmp_path / "c")["G.main.0.weight"])


def test_resume_from_an_earlier_checkpoint_equals_the_uninterrupted_run(images, tmp_path):
    kw = dict(data=images, steps=4, set={**SMALL, "ema": "0.9"}, checkpoint_every=2, progress=False)
    ganbench.train("sngan", out=tmp_path / "full", **kw)
    ganbench.train("sngan", out=tmp_path / "cut", **kw)
    # as if killed after step 2's checkpoint: later checkpoints and log lines gone, or half-written
    checkpoint.path_for(tmp_path / "cut", 4).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 3, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    steps = [json.loads(x)["step"] for x in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and steps.count(3) == 1


def test_kill_minus_9_then_resume_equals_an_uninterrupted_run(tmp_path):
    args = [
        "toy-mlp",
        "--steps",
        "2000",
        "--checkpoint-every",
        "100",
        "--set",
        "batch_size=64",
        "--set",
        "g_batch_size=64",
    ]
    env = {**os.environ, "GANBENCH_QUIET": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "ganbench", "train", *args]
    proc = subprocess.Popen(cmd + ["--out", str(tmp_path / "killed")], env=env)
    first = checkpoint.path_for(tmp_path / "killed", 100)
    deadline = time.time() + 120
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = checkpoint.list_steps(tmp_path / "killed")
    assert done and done[-1] < 2000, "the run finished before it could be killed: make it longer"
    subprocess.run(cmd[:4] + ["--resume", str(tmp_path / "killed")], env=env, check=True)
    subprocess.run(cmd + ["--out", str(tmp_path / "whole")], env=env, check=True)
    _same(_tensors(tmp_path / "killed"), _tensors(tmp_path / "whole"))


def test_resume_with_another_config_is_refused_naming_the_keys(images, tmp_path):
    ganbench.train("dcgan", out=tmp_path / "r", data=images, steps=1, set=SMALL, progress=False)
    res = CliRunner().invoke(
        cli, ["train", "dcgan", "--resume", str(tmp_path / "r"), "--set", "ema=0.9", "--set", "lr_d=1e-3"]
    )
    assert res.exit_code == 2
    assert "cannot resume" in res.output and "ema (0.0 in the run, 0.9 asked)" in res.output and "lr_d" in res.output
    res = CliRunner().invoke(cli, ["train", "dcgan", "--out", str(tmp_path / "r"), "--data", str(images)])
    assert res.exit_code == 2 and "already holds a run: pass --resume" in res.output


def test_bad_input_is_one_line_and_nothing_half_written(images, tmp_path, monkeypatch):
    run = CliRunner().invoke
    res = run(cli, ["train", "nosuchgan", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "unknown baseline 'nosuchgan': known baselines are " in res.output
    import ganbench

    assert ", ".join(ganbench.list_baselines()) in res.output  # every baseline, in order
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run(cli, ["train", "dcgan", "--data", str(empty), "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "no images found in" in res.output
    big = tmp_path / "big.npz"
    np.savez(big, np.zeros((4, 64, 64, 3), np.uint8))
    res = run(cli, ["train", "dcgan", "--data", str(big), "--out", str(tmp_path / "z")])
    assert res.exit_code == 2 and "holds 64x64 images but the model makes 32x32: pass --resize" in res.output
    assert (
        ganbench.train(
            "dcgan",
            out=tmp_path / "rs",
            data=big,
            resize=True,
            steps=1,
            set={"batch_size": 4, "g_batch_size": 4},
            progress=False,
        )["step"]
        == 1
    )
    res = run(cli, ["train", "dcgan", "--data", "ring", "--out", str(tmp_path / "w")])
    assert res.exit_code == 2 and "pick a baseline made for it" in res.output
    res = run(cli, ["train", "dcgan", "--set", "emma=1", "--out", str(tmp_path / "v")])
    assert res.exit_code == 2 and "unknown option 'emma'; valid options are" in res.output
    assert all(not (tmp_path / d).exists() for d in "xyzwv")

    import safetensors.torch

    def full_disk(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", full_disk)
    with pytest.raises(
        GanbenchError,
        match=r"cannot write checkpoint .*the disk is full \(.* bytes needed, .* free\); "
        "no checkpoint was written",
    ):
        ganbench.train("dcgan", out=tmp_path / "full", data=images, steps=1, set=SMALL, progress=False)
    assert not list((tmp_path / "full" / "checkpoints").iterdir())


def test_divergence_stops_with_the_last_good_checkpoint_kept(tmp_path, monkeypatch):
    from ganbench.train import losses

    real = losses.g_loss
    calls = {"n": 0}

    def blow_up(loss, fake):
        calls["n"] += 1
        out = real(loss, fake)
        return out * float("nan") if calls["n"] >= 3 else out

    monkeypatch.setattr(losses, "g_loss", blow_up)
    with pytest.raises(
        monitor.Diverged, match="training diverged at step 3: loss_g=nan; stopped, the last good checkpoint is step 2"
    ):
        ganbench.train("toy-mlp", out=tmp_path / "r", steps=10, checkpoint_every=2, progress=False)
    assert checkpoint.list_steps(tmp_path / "r") == [2]
    log = (tmp_path / "r" / "metrics.jsonl").read_text()
    assert '"failure": "divergence"' in log


def test_failure_watch_names_a_winning_discriminator_and_mode_collapse(tmp_path):
    log = monitor.Log(tmp_path)
    watch = monitor.FailureWatch("bce", log, window=5)
    for s in range(5):
        watch.check_step(
            s, {"loss_d": 0.01, "loss_g": 9.0, "d_real": 0.999, "d_fake": 0.001, "grad_norm_g": 1e-3}, None, tmp_path
        )
    watch.check_eval(10, {"modes_covered": 2, "modes_total": 8, "high_quality_fraction": 0.9})
    watch.check_eval(11, {"modes_covered": 1, "modes_total": 8, "high_quality_fraction": 0.0})  # still flagged
    watch.check_eval(12, {"modes_covered": 8, "modes_total": 8, "high_quality_fraction": 0.9, "modes_reached": 8})
    watch.check_eval(13, {"modes_covered": 0, "modes_total": 8, "high_quality_fraction": 0.0, "modes_reached": 1})
    recs = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["failure"] for r in recs] == ["discriminator_wins", "mode_collapse", "mode_collapse"]
    assert "D(x)=0.999" in recs[0]["message"] and "2 of 8 modes" in recs[1]["message"]
    assert "sit at 1 of 8 modes" in recs[2]["message"]
    from ganbench import toydata
    from ganbench.train.evaluation import modes_reached

    ring, _ = toydata.make("ring", 800, seed=0)
    one, _ = toydata.sample_mixture("ring", 800, seed=0, modes=[3])
    assert modes_reached(ring, "ring") == 8 and modes_reached(one + 0.3, "ring") == 1


@pytest.fixture(scope="module")
def trained(images, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "dc"
    ganbench.train(
        "dcgan", out=out, data=images, steps=2, set={**SMALL, "ema": "0.9"}, checkpoint_every=1, progress=False
    )
    return out


def test_sampling_twice_gives_the_same_bytes(trained, tmp_path):
    run = CliRunner().invoke
    for name in ("a.npz", "b.npz"):
        res = run(
            cli, ["sample", str(trained), "-n", "30", "-o", str(tmp_path / name), "--seed", "5", "--batch-size", "7"]
        )
        assert res.exit_code == 0, res.output
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    a, _ = ganbench.sample(trained, 30, seed=5, progress=False)
    assert (
        np.array_equal(a, np.load(tmp_path / "a.npz")["arr_0"]) and a.dtype == np.uint8 and a.shape == (30, 32, 32, 3)
    )
    raw, info = ganbench.sample(trained, 30, seed=5, ema=False, checkpoint="1", progress=False)
    assert info["step"] == 1 and not info["ema"] and not np.array_equal(raw, a)
    res = run(cli, ["sample", str(trained), "-n", "5", "-o", str(tmp_path / "pngs")])
    assert res.exit_code == 0 and len(list((tmp_path / "pngs").glob("*.png"))) == 5
    res = run(cli, ["sample", str(trained), "-n", "5", "-o", str(tmp_path / "x.npz"), "--checkpoint", "9"])
    assert res.exit_code == 2 and "no checkpoint at step 9: it has 1, 2" in res.output


def test_eval_of_a_run_fills_the_record_run_block(trained, images, inception_weights, tmp_path):
    res = CliRunner().invoke(
        cli,
        [
            "eval",
            str(trained),
            "--ref",
            str(images),
            "--metrics",
            "fid,kid",
            "--n",
            "64",
            "--kid-subset-size",
            "32",
            "--weights",
            str(inception_weights),
            "--sample-seed",
            "1",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "r.json").read_text())
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("ganbench").joinpath("schemas/record.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(rec)
    run = rec["run"]
    assert run["baseline"] == "dcgan" and run["step"] == 2 and run["training_seed"] == 0 and run["sampling_seed"] == 1
    assert run["ema"] is True and run["checkpoint_selection"] == "last" and len(run["checkpoint_sha256"]) == 64
    assert run["config_hash"] == json.loads((trained / "run.json").read_text())["config_hash"]
    assert rec["provenance"]["samples"]["count"] == 64 and "NOT the official FID Inception weights" in " ".join(
        rec["warnings"]
    )
    same = ganbench.evaluate(
        trained, str(images), ["fid", "kid"], n=64, sample_seed=1, weights=inception_weights, kid_subset_size=32
    )
    assert same["fid"] == rec["metrics"]["fid"]["value"] and same.run == run  # the same numbers from Python


def test_eval_every_scores_fid_kid_through_the_engine(images, inception_weights, tmp_path):
    ganbench.train(
        "dcgan",
        out=tmp_path / "r",
        data=images,
        steps=2,
        set=SMALL,
        eval_every=2,
        eval_n=32,
        weights=inception_weights,
        progress=False,
    )
    ev = [
        json.loads(x)
        for x in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
        if json.loads(x)["kind"] == "eval"
    ]
    assert len(ev) == 1 and ev[0]["fid"] > 0 and ev[0]["weights_official"] is False
    # made in memory, the eval samples are those `ganbench sample` makes: scoring the checkpoint's samples
    # through a file (the run's own 64 images as the reference) gives the very same numbers
    from ganbench.train.evaluation import EVAL_SEED

    again = ganbench.evaluate(
        tmp_path / "r",
        str(images),
        ["fid", "kid"],
        n=32,
        sample_seed=EVAL_SEED,
        weights=inception_weights,
        kid_subset_size=32,
        use_cache=False,
    )
    assert (again["fid"], again["kid"]) == (ev[0]["fid"], ev[0]["kid"])
    step, _path, how = checkpoint.pick(tmp_path / "r", "best")
    assert step == 2 and how.startswith("best fid")
    with pytest.raises(GanbenchError, match="eval-every on image data runs Inception: pass --weights"):
        ganbench.train("dcgan", out=tmp_path / "s", data=images, steps=2, eval_every=1, progress=False)
