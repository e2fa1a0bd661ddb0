"""Training as a new user meets it (issue 20): resume restores every option, says when there is no
checkpoint or nothing left to do, extends where the schedule allows; --out is checked first; --key and
labels by name; sample grids and a weight-free collapse signal; wall-time checkpoints; permissions."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, grid
from ganbench.train.saver import Saver

SMALL = {"batch_size": 8, "g_batch_size": 8}
TOY = ["--set", "batch_size=16", "--set", "g_batch_size=16"]


@pytest.fixture(scope="module")
def multi(cifar_excerpt, tmp_path_factory):
    """A multi-array .npz like the shared excerpt: images and labels under their own names."""
    path = tmp_path_factory.mktemp("data") / "multi.npz"
    small = cifar_excerpt["train_images"][:32, ::4, ::4]  # 8x8: toy-conv's size, so tests stay fast
    np.savez(
        path,
        train_images=small,
        test_images=cifar_excerpt["test_images"][:32, ::4, ::4],
        train_labels=(np.arange(32) % 3).astype(np.int64),
    )
    return path


from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


def _log(run_dir, name="metrics.jsonl"):
    return [json.loads(x) for x in (run_dir / name).read_text().splitlines()]


def test_kill_minus_9_before_the_first_checkpoint_then_resume_says_so_and_keeps_the_log(tmp_path):
    env = {**os.environ, "GANBENCH_QUIET": "1", "OMP_NUM_THREADS": "1"}
    run = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ganbench", "train"]
    proc = subprocess.Popen(
        cmd
        + [
            "toy-mlp",
            "--steps",
            "30",
            "--checkpoint-every",
            "1000",
            "--checkpoint-minutes",
            "0",
            *TOY,
            "--out",
            str(run),
        ],
        env=env,
    )
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        if (run / "metrics.jsonl").is_file() and (run / "metrics.jsonl").read_text().count("\n") >= 2:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not checkpoint.list_steps(run), "the run checkpointed before it could be killed"
    before = (run / "metrics.jsonl").read_text()
    res = subprocess.run(cmd + ["--resume", str(run)], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    notes = [line for line in res.stderr.splitlines() if "no checkpoint" in line]
    assert len(notes) == 1 and "training it from step 0" in notes[0] and "metrics.before-restart-1.jsonl" in notes[0]
    assert (run / "metrics.before-restart-1.jsonl").read_text() == before  # the history is kept, whole
    assert checkpoint.list_steps(run) == [30]
    assert json.loads((run / "run.json").read_text())["options"]["checkpoint_every"] == 1000


def test_resume_keeps_checkpoint_every_and_every_other_option(multi, tmp_path):
    run = tmp_path / "r"
    ganbench.train(
        "toy-conv",
        out=run,
        data=multi,
        key="train_images",
        steps=6,
        set=SMALL,
        checkpoint_every=2,
        checkpoint_minutes=0,
        progress=False,
    )
    opts = json.loads((run / "run.json").read_text())["options"]
    assert opts["checkpoint_every"] == 2 and opts["key"] == "train_images" and opts["checkpoint_minutes"] == 0
    full = _tensors(run)
    for s in (4, 6):  # as if killed after step 2's checkpoint
        checkpoint.path_for(run, s).unlink()
    res = CliRunner().invoke(cli, ["train", "--resume", str(run)])  # no --checkpoint-every, no --key
    assert res.exit_code == 0, res.output
    assert checkpoint.list_steps(run) == [2, 4, 6]  # with the old default of 1000 it would be [2, 6]
    _same(full, _tensors(run))
    res = CliRunner().invoke(cli, ["train", "--resume", str(run), "--key", "test_images"])
    assert res.exit_code == 2 and "cannot resume" in res.output and "--key" in res.output


def test_a_complete_run_says_so_and_steps_extends_it_where_the_schedule_allows(tmp_path):
    run = tmp_path / "r"
    ganbench.train("toy-mlp", out=run, steps=3, set={"batch_size": 16, "g_batch_size": 16}, progress=False)
    res = CliRunner().invoke(cli, ["train", "--resume", str(run)])
    assert res.exit_code == 0 and "is complete (3 of 3 steps)" in res.stderr and "--steps" in res.stderr
    res = CliRunner().invoke(cli, ["train", "--resume", str(run), "--steps", "5"])
    assert res.exit_code == 0, res.output
    assert checkpoint.list_steps(run) == [3, 5] and json.loads((run / "run.json").read_text())["config"]["steps"] == 5
    ganbench.train(
        "toy-mlp", out=tmp_path / "whole", steps=5, set={"batch_size": 16, "g_batch_size": 16}, progress=False
    )
    _same(_tensors(tmp_path / "whole"), _tensors(run))  # constant lr: extending equals training 5 at once
    lin = tmp_path / "lin"
    ganbench.train(
        "toy-mlp", out=lin, steps=2, set={"lr_schedule": "linear", "batch_size": 16, "g_batch_size": 16}, progress=False
    )
    res = CliRunner().invoke(cli, ["train", "--resume", str(lin), "--steps", "4"])
    assert res.exit_code == 2 and "decays linearly to 0 at step 2" in res.output and len(res.output.splitlines()) == 1


def test_unwritable_out_is_one_line_before_any_work(tmp_path, monkeypatch):
    from ganbench.train import session

    monkeypatch.setattr(session, "open_data", lambda *a, **k: pytest.fail("data read before --out was checked"))
    (tmp_path / "afile").write_text("x")
    res = CliRunner().invoke(cli, ["train", "toy-mlp", "--out", str(tmp_path / "afile" / "run")])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "cannot write run folder" in res.output and "pass --out" in res.output and "Traceback" not in res.output
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            res = CliRunner().invoke(cli, ["train", "toy-mlp", "--out", str(ro / "sub" / "run")])
            assert res.exit_code == 2 and "cannot write run folder" in res.output
        finally:
            ro.chmod(0o755)


def test_train_reads_a_multi_array_npz_by_key_and_labels_by_name(multi, tmp_path):
    res = CliRunner().invoke(cli, ["train", "toy-conv", "--data", str(multi), "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "--key NAME" in res.output  # the hint names an option train has
    res = CliRunner().invoke(
        cli,
        [
            "train",
            "toy-conv",
            "--data",
            str(multi),
            "--key",
            "train_images",
            "--steps",
            "1",
            "--set",
            "batch_size=8",
            "--set",
            "g_batch_size=8",
            "--set",
            "conditional=true",
            "--labels",
            "train_labels",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert res.exit_code == 0, res.output
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["data"]["num_classes"] == 3 and run["data"]["count"] == 32
    res = CliRunner().invoke(
        cli,
        [
            "train",
            "toy-conv",
            "--data",
            str(multi),
            "--key",
            "train_images",
            "--labels",
            "nope",
            "--set",
            "conditional=true",
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert res.exit_code == 2 and "no array of that name" in res.output and "train_labels" in res.output


def test_a_collapsed_generator_is_named_on_stderr_without_weights_and_grids_are_written(
    multi, tmp_path, capsys, monkeypatch
):
    from ganbench.train import models

    build = models.build

    def collapsed(*a, **k):  # G ignores its latent: every sample is one image
        nets = build(*a, **k)
        forward = nets.G.forward
        nets.G.forward = lambda z, *rest: forward(z * 0, *rest)
        return nets

    monkeypatch.setattr(models, "build", collapsed)
    run = tmp_path / "r"
    ganbench.train(
        "toy-conv", out=run, data=multi, key="train_images", steps=4, set=SMALL, checkpoint_every=2, progress=False
    )
    err = capsys.readouterr().err
    assert "warning: step 2: mode collapse: the 64 fixed-latent samples" in err and err.count("mode collapse") == 1
    shown = [r for r in _log(run) if r["kind"] == "samples"]
    assert [r["step"] for r in shown] == [2, 4] and shown[0]["spread_ratio"] < 0.01
    from PIL import Image

    for s in (2, 4):
        im = Image.open(grid.grid_path(run, s))  # 8 x 8 tiles of 8x8 images shown 4x, 2 px apart
        assert im.size == (8 * 34 + 2, 8 * 34 + 2)


def test_grids_come_from_fixed_latents_and_only_a_narrow_batch_after_warmup_is_flagged(multi, tmp_path, capsys):
    for name in ("a", "b"):
        ganbench.train(
            "toy-conv",
            out=tmp_path / name,
            data=multi,
            key="train_images",
            steps=2,
            set=SMALL,
            checkpoint_every=1,
            progress=False,
        )
    assert grid.grid_path(tmp_path / "a", 1).read_bytes() == grid.grid_path(tmp_path / "b", 1).read_bytes()
    assert grid.grid_path(tmp_path / "a", 1).read_bytes() != grid.grid_path(tmp_path / "a", 2).read_bytes()
    from ganbench.train import monitor

    capsys.readouterr()
    watch = monitor.FailureWatch("bce", monitor.Log(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    shown = {"n": 64, "spread": 0.3, "real_spread": 0.33}
    watch.check_spread(50, {**shown, "spread_ratio": 0.01}, warmup=100)  # an untrained G: not yet collapse
    watch.check_spread(150, {**shown, "spread_ratio": 0.9}, warmup=100)
    assert "mode collapse" not in capsys.readouterr().err
    watch.check_spread(200, {**shown, "spread_ratio": 0.05}, warmup=100)
    assert "warning: step 200: mode collapse" in capsys.readouterr().err
    assert grid.spread(np.zeros((4, 8, 8, 3), np.uint8)) == 0.0
    assert grid.spread(np.array([[0, 0], [3, 4]], np.float64)) == pytest.approx(5.0)


def test_wall_time_checkpoints_change_no_number_and_replace_each_other(tmp_path, monkeypatch):
    t = [0.0]
    s = Saver(tmp_path, every=10, minutes=1, clock=lambda: t[0])
    assert not s.due(3, 100)
    t[0] = 61
    assert s.due(4, 100) and s.due(10, 100) and s.due(100, 100)
    kw = dict(steps=5, set={"batch_size": 16, "g_batch_size": 16}, checkpoint_every=2, progress=False)
    ganbench.train("toy-mlp", out=tmp_path / "whole", checkpoint_minutes=0, **kw)
    from ganbench.train import loop

    step = loop.Trainer.train_step

    def stop_after_3(self):
        if self.step == 3:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(loop.Trainer, "train_step", stop_after_3)
    with pytest.raises(KeyboardInterrupt):
        ganbench.train("toy-mlp", out=tmp_path / "clock", checkpoint_minutes=1e-9, **kw)
    assert checkpoint.list_steps(tmp_path / "clock") == [2, 3]  # 1 was replaced by 2's; 3 is the clock's
    monkeypatch.setattr(loop.Trainer, "train_step", step)
    ganbench.train(resume=tmp_path / "clock", progress=False)
    _same(_tensors(tmp_path / "whole"), _tensors(tmp_path / "clock"))
    volatile = ("step_per_s", "images_per_s")
    logs = [
        [{k: v for k, v in r.items() if k not in volatile} for r in _log(tmp_path / name)]
        for name in ("whole", "clock")
    ]
    assert logs[0] == logs[1]  # the clock's checkpoint writes no grid and no collapse line either
    assert not grid.grid_path(tmp_path / "clock", 3).exists()


def test_checkpoints_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        ganbench.train(
            "toy-mlp", out=tmp_path / "r", steps=1, set={"batch_size": 16, "g_batch_size": 16}, progress=False
        )
    finally:
        os.umask(old)
    mode = stat.S_IMODE(checkpoint.path_for(tmp_path / "r", 1).stat().st_mode)
    assert mode == 0o644, oct(mode)


def test_greyscale_note_is_printed_and_the_bar_shows_this_steps_losses(cifar_excerpt, tmp_path, capsys, monkeypatch):
    grey = tmp_path / "grey.npy"
    np.save(grey, cifar_excerpt["train_images"][:16, ::4, ::4, 0])
    monkeypatch.delenv("GANBENCH_QUIET", raising=False)
    ganbench.train("toy-conv", out=tmp_path / "r", data=grey, steps=1, set=SMALL, checkpoint_minutes=0)
    err = capsys.readouterr().err
    assert "ganbench: note: data" in err and "greyscale image(s) replicated to RGB" in err
    first = next(r for r in _log(tmp_path / "r") if r["kind"] == "train")
    assert f"loss_d={first['loss_d']:.3f}" in err  # the bar drew step 1's losses, not none


def test_resume_refuses_a_steps_below_what_was_trained(tmp_path):
    ganbench.train("toy-mlp", out=tmp_path / "r", steps=3, set={"batch_size": 16, "g_batch_size": 16}, progress=False)
    with pytest.raises(GanbenchError, match="already trained 3 steps"):
        ganbench.train(resume=tmp_path / "r", steps=2, progress=False)


def test_a_discriminator_that_wins_most_steps_is_named_despite_a_few_where_g_fools_it(tmp_path, capsys):
    from ganbench.train import monitor

    watch = monitor.FailureWatch("bce", monitor.Log(tmp_path), window=50)
    for s in range(50):  # mean D(G(z)) 0.051: the old mean-based check said nothing
        fake = 0.5 if s % 10 == 0 else 0.001
        watch.check_step(
            s, {"loss_d": 0.01, "loss_g": 7.0, "d_real": 0.999, "d_fake": fake, "grad_norm_g": 0.5}, None, tmp_path
        )
    err = capsys.readouterr().err
    assert "warning: step 49: the discriminator wins (median D(x)=0.999, D(G(z))=0.001 over 50 steps)" in err


def test_sample_and_data_check_their_output_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = CliRunner().invoke(
        cli, ["sample", str(tmp_path / "no-run"), "-n", "5", "-o", str(tmp_path / "afile" / "s.npz")]
    )
    assert res.exit_code == 2 and "cannot write samples" in res.output and "pass -o" in res.output
    res = CliRunner().invoke(cli, ["data", "ring", "-o", str(tmp_path / "afile" / "ring.npy")])
    assert res.exit_code == 2 and "cannot write data set" in res.output and "pass -o" in res.output


def test_a_winning_discriminator_under_the_minimax_loss_points_to_the_non_saturating_loss(tmp_path, capsys):
    from ganbench.train import monitor

    watch = monitor.FailureWatch("minimax", monitor.Log(tmp_path), window=10)
    for s in range(10):  # the saturating loss's failure: D(G(z)) ~ 0, where log(1 - D(G(z))) is flat
        watch.check_step(
            s, {"loss_d": 0.01, "loss_g": -1e-4, "d_real": 0.995, "d_fake": 0.002, "grad_norm_g": 1e-5}, None, tmp_path
        )
    err = capsys.readouterr().err
    assert "warning: step 9: the discriminator wins" in err and "G's gradient vanishes" in err
    assert "--set loss=bce" in err
