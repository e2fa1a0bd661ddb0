"""The fault-injection suite (issue 28): for every write of a short run (run.json, each metrics line,
each checkpoint, curves.png; each feature-cache chunk and entry and the record of an eval; each file of
a board build) a failure with ENOSPC and with EIO, and for every training step a SIGTERM, a SIGINT and a
SIGKILL. After each: no half-written file where a reader looks, the run resumes, and its final weights
and numbers equal an uninterrupted run's. conftest.py prints how many fault points were tried."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from faults import TRIED, StepSignal, WriteFault

from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, runs
from ganbench.train.session import train

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
STEPS = 4
ARGS = dict(steps=STEPS, checkpoint_every=2, set={"batch_size": 16, "g_batch_size": 16, "z_dim": 8}, progress=False)
VOLATILE = ("step_per_s", "images_per_s")  # timings: the only numbers allowed to differ
CODES = (errno.ENOSPC, errno.EIO)


def _train(run: Path):
    if runs.is_run_dir(run):
        return train(resume=run, checkpoint_every=ARGS["checkpoint_every"], progress=False)
    return train("toy-mlp", out=run, **ARGS)


def _outcome(run: Path) -> tuple:
    steps = checkpoint.list_steps(run)
    tensors, _meta = checkpoint.load(checkpoint.path_for(run, steps[-1]))
    lines = [
        {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
        for line in (run / "metrics.jsonl").read_text().splitlines()
    ]
    return steps, tensors, lines


def _same(a: tuple, b: tuple) -> None:
    assert set(b[0]) <= set(a[0]) and a[0][-1] == b[0][-1]  # a stop adds the checkpoint of its step
    assert sorted(a[1]) == sorted(b[1])
    assert all(torch.equal(a[1][k], b[1][k]) for k in a[1])  # bit for bit
    assert a[2] == b[2]  # the log too: a stop's extra checkpoint writes no grid and no collapse line


def assert_whole(run: Path, parts_allowed: bool = False) -> None:
    """What a reader opens is whole: run.json parses, every checkpoint loads, every metrics line is JSON,
    curves.png is a whole PNG; no temporary file is left unless the process was killed."""
    if not parts_allowed:
        assert not [p for p in run.rglob("*") if p.name.endswith(".part")]
    if (run / "run.json").exists():
        runs.read(run)
    for s in checkpoint.list_steps(run):
        checkpoint.load(checkpoint.path_for(run, s))
    if (run / "metrics.jsonl").exists():
        for line in (run / "metrics.jsonl").read_text().splitlines():
            json.loads(line)
    if (run / "curves.png").exists():
        png = (run / "curves.png").read_bytes()
        assert png.startswith(b"\x89PNG") and png.endswith(b"IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run = tmp_path_factory.mktemp("ref") / "run"
    with WriteFault() as counter:
        train("toy-mlp", out=run, **ARGS)
    return _outcome(run), counter.count


@pytest.mark.filterwarnings("ignore:cannot write .*curves.png")
def test_every_write_of_a_run_failing_then_resume(reference, tmp_path):
    ref, writes = reference
    # run.json, every metrics line (a step each, each checkpoint's collapse signal, the monitor's warnings),
    # per checkpoint (2) its sample grid and its file, curves.png
    assert writes == 1 + len(ref[2]) + 2 * (STEPS // 2) + 1 and len(ref[2]) > STEPS
    for k in range(1, writes + 1):
        for code in CODES:
            run = tmp_path / f"w{k}-{code}"
            with WriteFault(k, code) as fault:
                try:
                    _train(run)
                except GanbenchError as e:  # one line naming the file
                    assert "\n" not in str(e) and str(run) in str(e), e
            assert fault.count >= k
            if run.exists():
                assert_whole(run)
            _train(run)
            assert_whole(run)
            _same(_outcome(run), ref)
            TRIED["write (training)"] += 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
def test_a_signal_at_every_step_checkpoints_then_resume(reference, tmp_path, sig):
    ref, _ = reference
    for k in range(1, STEPS):
        run = tmp_path / f"s{k}"
        with StepSignal(k, sig), pytest.raises(GanbenchError, match=f"stopped by {sig.name} after step {k}") as e:
            _train(run)
        assert e.value.exit_code == 128 + sig and f"--resume {run}" in str(e.value)
        assert checkpoint.list_steps(run)[-1] == k  # the step it stopped after is saved
        assert_whole(run)
        _train(run)
        _same(_outcome(run), ref)
        TRIED[f"{sig.name} at a step"] += 1


def test_sigkill_at_every_step_then_resume(reference, tmp_path):
    ref, _ = reference
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    sets = [a for k, v in ARGS["set"].items() for a in ("--set", f"{k}={v}")]
    for k in range(1, STEPS + 1):
        run = tmp_path / f"k{k}"
        cmd = [
            sys.executable,
            str(Path(__file__).with_name("faults.py")),
            "SIGKILL",
            str(k),
            "--",
            "train",
            "toy-mlp",
            "--out",
            str(run),
            "--steps",
            str(STEPS),
            "--checkpoint-every",
            "2",
            *sets,
        ]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
        assert_whole(run, parts_allowed=True)
        _train(run)
        assert_whole(run, parts_allowed=True)
        _same(_outcome(run), ref)
        TRIED["SIGKILL at a step"] += 1


def test_every_write_of_a_board_build_failing_then_rebuild(tmp_path):
    """A board build writes its files one by one, each atomically: after a failure each file is the old
    board's or the new one's, whole; a rebuild gives the uninterrupted build's bytes."""
    from ganbench.leaderboards.build import build

    src = Path(__file__).resolve().parents[1] / "leaderboards" / "ring"
    board = tmp_path / "board"
    shutil.copytree(src, board, ignore=shutil.ignore_patterns("*-s1*", "*-s2*", "toy-mlp_*", "toy-mlp-wgan*"))
    old = {p.name: p.read_bytes() for p in board.iterdir() if p.is_file()}
    with WriteFault() as counter:
        new = build(None, board, write=False)
    assert counter.count == 0 and len(new) >= 6
    for k in range(1, len(new) + 1):
        for name, payload in old.items():
            (board / name).write_bytes(payload)
        code = CODES[k % 2]
        with WriteFault(k, code), pytest.raises(GanbenchError, match=f"cannot write {board}/") as e:
            build(None, board)
        assert "\n" not in str(e.value) and not list(board.rglob("*.part"))
        for name in new:
            assert (board / name).read_bytes() in (old.get(name), new[name]), name
        build(None, board)
        assert all((board / name).read_bytes() == payload for name, payload in new.items())
        TRIED["write (board build)"] += 1
