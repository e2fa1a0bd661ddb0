"""The gradient monitor (issue 27, section 2): per-layer gradient norms in metrics.jsonl and curves.png,
D's accuracy, and the vanishing-gradients warning, on the 2-D toy GAN (seconds on CPU)."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, gradients, losses, monitor
from ganbench.train.data import open_data
from ganbench.train.loop import Trainer
from ganbench.train.session import resolve_config

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"batch_size": 16, "g_batch_size": 16}
# D learns 50 000x faster than G: D(G(z)) -> 0 within ~50 steps. Under the saturating minimax loss G's
# gradient then shrinks with D(G(z)) (Goodfellow et al. 2014); under the non-saturating bce it grows
STRONG_D = {"lr_d": "5e-2", "lr_g": "1e-6", "batch_size": 64, "g_batch_size": 64}
VOLATILE = ("step_per_s", "images_per_s")


def _log(run_dir):
    return [
        {k: v for k, v in json.loads(x).items() if k not in VOLATILE}
        for x in (run_dir / "metrics.jsonl").read_text().splitlines()
    ]


def _warnings(run_dir):
    return [(r["failure"], r["step"]) for r in _log(run_dir) if r["kind"] == "warning"]


def _train(out, steps, sets, **kw):
    kw = {"checkpoint_every": steps, "checkpoint_minutes": 0, "log_every": 1, "progress": False, **kw}
    return ganbench.train("toy-mlp", out=out, steps=steps, set=sets, **kw)


def test_grads_records_hold_every_layer_and_equal_layer_norms_taken_by_hand(tmp_path):
    sets = {**TINY, "n_dis": 2}
    _train(tmp_path / "r", 4, sets, grad_every=2)
    recs = [r for r in _log(tmp_path / "r") if r["kind"] == "grads"]
    assert [r["step"] for r in recs] == [2, 4]

    # the same run by hand: the norms read just before each optimiser step, D's averaged over its n_dis steps
    _b, cfg = resolve_config("toy-mlp", {**sets, "steps": 4})
    tr = Trainer(cfg, open_data(cfg["data"], (2,)), 0, channels_last=True)
    seen = {"G": [], "D": []}
    for net, opt in (("G", "opt_g"), ("D", "opt_d")):
        step = tr.nets.opts[opt].step

        def spy(*a, _net=net, _step=step, **k):
            seen[_net].append(gradients.layer_norms(tr.nets.nets[_net]))
            return _step(*a, **k)

        tr.nets.opts[opt].step = spy
    for _ in range(4):
        tr.train_step()
    for rec in recs:
        s = rec["step"] - 1  # the log counts steps done
        for net, runs in (("G", seen["G"][s : s + 1]), ("D", seen["D"][2 * s : 2 * s + 2])):
            assert list(rec[net]) == [name for name, _ in gradients.layers(tr.nets.nets[net])]  # every layer
            want = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
            assert rec[net] == pytest.approx(want, rel=1e-12, abs=0)
    assert all(v > 0 for r in recs for net in ("G", "D") for v in r[net].values())
    assert (tmp_path / "r" / "curves.png").is_file()


def test_the_monitor_changes_no_trained_number_and_not_the_config_hash(tmp_path):
    _train(tmp_path / "on", 6, TINY, grad_every=1, checkpoint_every=3)
    _train(tmp_path / "off", 6, TINY, grad_every=0, checkpoint_every=3)
    on, off = _log(tmp_path / "on"), _log(tmp_path / "off")
    assert sum(r["kind"] == "grads" for r in on) == 6 and not any(r["kind"] == "grads" for r in off)
    assert [r for r in on if r["kind"] != "grads"] == off
    for s in (3, 6):
        (a, meta_a), (b, meta_b) = (checkpoint.load(checkpoint.path_for(tmp_path / d, s)) for d in ("on", "off"))
        assert sorted(a) == sorted(b) and meta_a == meta_b
        assert all(a[k].numpy().tobytes() == b[k].numpy().tobytes() for k in a)
    runs = [json.loads((tmp_path / d / "run.json").read_text()) for d in ("on", "off")]
    assert runs[0]["config_hash"] == runs[1]["config_hash"] and runs[0]["config"] == runs[1]["config"]
    assert (runs[0]["options"]["grad_every"], runs[1]["options"]["grad_every"]) == (1, 0)


def test_grad_every_from_the_command_line_and_on_resume(tmp_path):
    run = tmp_path / "r"
    res = CliRunner().invoke(
        cli,
        [
            "train",
            "toy-mlp",
            "--out",
            str(run),
            "--steps",
            "4",
            "--set",
            "batch_size=16",
            "--set",
            "g_batch_size=16",
            "--grad-every",
            "2",
            "--checkpoint-every",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    assert [r["step"] for r in _log(run) if r["kind"] == "grads"] == [2, 4]
    checkpoint.path_for(run, 4).unlink()  # as if killed after step 2: the resumed log reads as one run
    res = CliRunner().invoke(cli, ["train", "--resume", str(run), "--grad-every", "1"])  # changes no number
    assert res.exit_code == 0, res.output
    assert [r["step"] for r in _log(run) if r["kind"] == "grads"] == [2, 3, 4]
    res = CliRunner().invoke(cli, ["train", "toy-mlp", "--out", str(tmp_path / "x"), "--grad-every", "-1"])
    assert res.exit_code == 2 and "--grad-every" in res.output and "Traceback" not in res.output
    with pytest.raises(GanbenchError, match="--grad-every -1"):
        _train(tmp_path / "y", 2, TINY, grad_every=-1)


def test_d_accuracy_reads_scored_real_as_each_loss_means_it():
    real, fake = torch.tensor([2.0, 0.4, -1.0, 3.0]), torch.tensor([-2.0, 0.3, 1.5, -0.1])
    assert losses.d_accuracy("bce", real, fake) == losses.d_accuracy("minimax", real, fake) == 0.5 * (3 / 4 + 2 / 4)
    assert losses.d_accuracy("hinge", real, fake) == 0.5 * (3 / 4 + 2 / 4)
    assert losses.d_accuracy("lsgan", real, fake) == 0.5 * (2 / 4 + 3 / 4)  # nearer b=1 than a=0: > 0.5
    # wasserstein: no fixed zero; the cut is the midpoint of the means (1.1 + -0.075) / 2 = 0.5125
    assert losses.d_accuracy("wasserstein", real, fake) == 0.5 * (2 / 4 + 3 / 4)
    assert losses.d_accuracy("wasserstein", real + 100, fake + 100) == losses.d_accuracy("wasserstein", real, fake)


def test_vanishing_gradients_fire_on_a_saturated_d_and_stay_quiet_otherwise(tmp_path, capsys):
    _train(tmp_path / "minimax", 200, {**STRONG_D, "loss": "minimax"})
    err = capsys.readouterr().err
    warned = [r for r in _log(tmp_path / "minimax") if r.get("failure") == "vanishing_gradients"]
    assert len(warned) == 1, _warnings(tmp_path / "minimax")
    w = warned[0]
    train = {r["step"]: r for r in _log(tmp_path / "minimax") if r["kind"] == "train"}
    early = sorted(train[s]["grad_norm_g"] for s in range(1, 51))
    assert f"its early value {(early[24] + early[25]) / 2:.2g}" in w["message"]  # the first window's median
    assert "D scores 100% of real and fake samples right" in w["message"] and "--set loss=bce" in w["message"]
    assert f"warning: step {w['step']}: vanishing gradients: G's gradient norm is" in err
    # the same D under the non-saturating loss: G's gradient grows; D wins, and only that is said
    _train(tmp_path / "bce", 200, {**STRONG_D, "loss": "bce"})
    assert [f for f, _ in _warnings(tmp_path / "bce") if f != "mode_collapse_pixels"] == ["discriminator_wins"]
    _train(tmp_path / "healthy", 200, {"batch_size": 64, "g_batch_size": 64})  # the baseline's rates
    assert not [f for f, _ in _warnings(tmp_path / "healthy") if f in ("vanishing_gradients", "discriminator_wins")]


def test_resume_keeps_the_warning_state(tmp_path):
    whole = tmp_path / "whole"
    _train(whole, 200, {**STRONG_D, "loss": "minimax"}, checkpoint_every=50, grad_every=25)
    fired = dict(_warnings(whole))
    assert 100 < fired["vanishing_gradients"] < 150  # after checkpoint 100, before checkpoint 150
    full = _log(whole)
    for kept in (100, 150):  # from 100: the early value comes from the checkpoint; from 150: the onset does
        for s in checkpoint.list_steps(whole):
            if s > kept:
                checkpoint.path_for(whole, s).unlink()
        ganbench.train(resume=whole, progress=False, log_every=1)
        assert _log(whole) == full
    _t, meta = checkpoint.load(checkpoint.path_for(whole, 150))
    assert "vanishing_gradients" in meta["monitor"]["flagged"] and meta["monitor"]["early_grad_norm_g"] > 0


def test_one_episode_gets_one_warning():
    """A vanishing gradient under a winning D is reported once, as vanishing (which names D's accuracy)."""
    log = monitor.Log("/nonexistent", enabled=False)
    watch = monitor.FailureWatch("minimax", log, window=5)
    said = []
    log.warn = lambda step, failure, message: said.append((step, failure))
    healthy = {"loss_d": 1.0, "loss_g": 1.0, "d_real": 0.6, "d_fake": 0.4, "grad_norm_g": 1.0, "d_acc": 0.6}
    dead = {"loss_d": 0.01, "loss_g": -1e-4, "d_real": 0.999, "d_fake": 0.001, "grad_norm_g": 1e-3, "d_acc": 1.0}
    for s, stats in enumerate([healthy] * 5 + [dead] * 5 + [healthy] * 5 + [dead] * 5, start=1):
        watch.check_step(s, stats, None, "/nonexistent")
    assert said == [(8, "vanishing_gradients"), (18, "vanishing_gradients")]  # medians: 3 of 5 steps
    assert watch.early_g == 1.0
    again = monitor.FailureWatch("minimax", log, window=5)
    again.restore(json.loads(json.dumps(watch.state())))
    assert again.early_g == 1.0 and again.flagged == watch.flagged and list(again.recent) == list(watch.recent)
