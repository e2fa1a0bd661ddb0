"""Issue 28: signals, two processes, a damaged cache, a full disk, a killed extraction, elastic torchrun.
(The fault-injection suite over every write and step is tests/test_faults.py.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from faults import TRIED, TinyExtractor, WriteFault

from ganbench import cache, locks
from ganbench.errors import GanbenchError
from ganbench.features import entries, pipeline
from ganbench.inputs.images import open_source
from ganbench.train import checkpoint, signals
from ganbench.train.session import train

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
FAULTS = Path(__file__).with_name("faults.py")
TRAIN = dict(steps=4, checkpoint_every=2, set={"batch_size": 16, "g_batch_size": 16, "z_dim": 8}, progress=False)


@pytest.fixture
def source(cifar_excerpt, tmp_path):
    np.save(tmp_path / "imgs.npy", cifar_excerpt["test_images"][:30])
    return open_source(tmp_path / "imgs.npy")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(entries, "CHUNK_IMAGES", 8)  # 2 batches of 4: 30 images are 4 chunks


def features(source, keep="features", ex=None, use_cache=True):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fs = pipeline.get_features(
            source, extractor=ex or TinyExtractor(), batch_size=4, use_cache=use_cache, keep=keep
        )
    return fs, [str(w.message) for w in caught]


def _same_fs(a, b) -> None:
    if a.stats is not None or b.stats is not None:
        assert np.array_equal(a.stats.mu, b.stats.mu) and np.array_equal(a.stats.sigma, b.stats.sigma)
    else:
        assert np.array_equal(a.pool, b.pool) and np.array_equal(a.logits, b.logits)


# -- a damaged cache entry ------------------------------------------------------------------------------
def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip(p: Path) -> None:
    b = bytearray(p.read_bytes())
    for i in range(200, 260):
        b[i] ^= 0xFF
    p.write_bytes(bytes(b))


def _other_key(p: Path) -> None:  # another set's entry filed under this key
    fs = pipeline.load_featureset(p)
    pipeline.save_featureset(pipeline.FeatureSet(fs.pool, fs.logits, fs.stats, {**fs.meta, "cache_key": "x" * 20}), p)


def _wrong_shape(p: Path) -> None:
    fs = pipeline.load_featureset(p)
    pipeline.save_featureset(pipeline.FeatureSet(fs.pool[:, :5], fs.logits, fs.stats, fs.meta), p)


def _wrong_content(p: Path) -> None:
    fs = pipeline.load_featureset(p)
    meta = {**fs.meta, "content_sha256": "0" * 64}
    pipeline.save_featureset(pipeline.FeatureSet(fs.pool, fs.logits, fs.stats, meta), p)


@pytest.mark.parametrize("damage", [_truncate, _flip, _other_key, _wrong_shape, _wrong_content])
def test_a_damaged_cache_entry_is_discarded_with_one_warning_and_recomputed(source, damage):
    plain, _ = features(source, use_cache=False)
    first, w = features(source)
    assert w == [] and first.meta["cached"] is False
    entry = pipeline.cache_path(source, TinyExtractor(), "features")
    damage(entry)
    again, w = features(source)
    assert len(w) == 1 and "feature cache entry" in w[0] and "damaged" in w[0] and "\n" not in w[0], w
    assert again.meta["cached"] is False
    _same_fs(again, plain)
    third, w = features(source)  # the recomputed entry is whole again
    assert w == [] and third.meta["cached"] is True
    _same_fs(third, plain)


# -- a killed extraction resumes after its last whole chunk -------------------------------------------------
@pytest.mark.parametrize(
    "keep,mode", [("features", True), ("stats", True), ("features", "progress")], ids=["features", "stats", "samples"]
)
def test_a_killed_extraction_resumes_from_the_last_whole_chunk_bit_for_bit(source, small_chunks, keep, mode):
    """mode "progress" is how `eval` extracts its samples: no cache entry, only the progress."""
    plain, _ = features(source, keep, use_cache=False)
    with pytest.raises(KeyboardInterrupt):  # killed in the 6th batch: chunks 1 and 2 (4 batches) are saved
        features(source, keep, TinyExtractor(fail_at=6), use_cache=mode)
    entry = pipeline.cache_path(source, TinyExtractor(), keep)
    parts = entry.with_suffix(".parts")
    assert sorted(p.name for p in parts.iterdir()) == (
        ["chunk-000000000.npz", "chunk-000000008.npz"] if keep == "features" else ["moments.npz"]
    )
    ex = TinyExtractor()
    resumed, w = features(source, keep, ex, use_cache=mode)
    assert w == [] and ex.calls == 8 - 4  # 30 images in batches of 4: 8 batches, 4 done before the kill
    _same_fs(resumed, plain)
    assert not parts.exists() and entry.exists() == (mode is True)
    TRIED["kill during extraction"] += 1


def test_every_cache_write_and_the_record_failing_then_rerun(source, small_chunks, tmp_path, cifar_excerpt):
    """The eval path's writes: 3 progress chunks and the cache entry of the reference, 3 progress chunks of
    the samples, the record."""
    from ganbench.engine import evaluate

    np.save(tmp_path / "samples.npy", cifar_excerpt["train_images"][:30])

    def run(record: Path):
        r = evaluate(
            tmp_path / "samples.npy",
            ref=tmp_path / "imgs.npy",
            metrics=["fid", "precision"],
            extractor=TinyExtractor(),
            batch_size=4,
        )
        r.to_json(record)
        return r

    with WriteFault() as counter:
        ref = run(tmp_path / "ref.json")
    assert counter.count == 3 + 1 + 3 + 1
    n = 0
    for k in range(1, counter.count + 1):
        for code in (28, 5):
            shutil.rmtree(cache.home() / "features", ignore_errors=True)
            record = tmp_path / f"r{k}-{code}.json"
            with WriteFault(k, code) as fault:
                try:
                    r = run(record)
                    assert r["fid"] == ref["fid"] and r["precision"] == ref["precision"]
                except GanbenchError as e:
                    assert str(record) in str(e) and "\n" not in str(e)
            assert fault.count >= k
            assert not list(tmp_path.rglob("*.part")) and not list(cache.home().rglob("*.part"))
            r = run(record)
            assert r.to_dict()["metrics"] == ref.to_dict()["metrics"]
            n += 1
            TRIED["write (eval: cache, record)"] += 1
    assert n == 2 * counter.count


# -- two processes --------------------------------------------------------------------------------------
def test_a_second_process_on_a_run_is_refused_naming_the_first(tmp_path):
    run = tmp_path / "run"
    train("toy-mlp", out=run, **TRAIN)
    with locks.run_folder(run):
        with pytest.raises(locks.Locked, match=f"in use by process {os.getpid()}"):
            train(resume=run, progress=False)
        p = subprocess.run(
            [sys.executable, "-m", "ganbench", "train", "--resume", str(run)],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            timeout=300,
        )
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert f"run folder {run} is in use by process {os.getpid()}" in p.stderr
    assert not (run / locks.NAME).exists()  # released with its holder
    train(resume=run, progress=False)


def test_a_second_board_build_and_cache_writer_are_refused(source, tmp_path):
    from ganbench.leaderboards.build import build

    with locks.board_folder(tmp_path / "board"):
        with pytest.raises(locks.Locked, match=f"board .* in use by process {os.getpid()}"):
            build(None, tmp_path / "board")
    entry = pipeline.cache_path(source, TinyExtractor(), "features")
    plain, _ = features(source, use_cache=False)
    with locks.try_hold(entry.with_suffix(".lock")) as holder:
        assert holder is None
        fs, w = features(source)
    assert len(w) == 1 and f"being written by process {os.getpid()}" in w[0]
    _same_fs(fs, plain)
    assert not entry.exists()  # the second writer did not write


def test_a_lock_dies_with_its_process(tmp_path):
    code = (
        f"import os, time; from ganbench import locks; l = locks.run_folder({str(tmp_path)!r}); l.__enter__(); "
        "print('held', flush=True); time.sleep(60)"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    with pytest.raises(locks.Locked, match=f"process {p.pid}"):
        with locks.run_folder(tmp_path):
            pass
    p.kill()
    p.wait()
    with locks.run_folder(tmp_path):  # kill -9 left no stale lock
        pass


# -- signals ------------------------------------------------------------------------------------------
def test_sigterm_from_the_cli_checkpoints_and_says_how_to_resume(tmp_path):
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        str(FAULTS),
        "SIGTERM",
        "1",
        "--",
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
        "--set",
        "z_dim=8",
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert p.returncode == 143, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last == (
        f"ganbench: error: stopped by SIGTERM after step 1; checkpoint {run}/checkpoints/"
        f"step-00000001.safetensors written; resume with: ganbench train --resume {run}"
    )
    assert checkpoint.list_steps(run) == [1]


def test_a_second_ctrl_c_exits_at_once():
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when pytest itself runs as a background job (`cmd &`)
    with signals.catch():
        os.kill(os.getpid(), signal.SIGINT)
        assert signals.requested() == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)  # the handler runs between bytecodes, at the latest when the sleep is interrupted
        os.kill(os.getpid(), signal.SIGTERM)  # a later SIGTERM changes nothing
        assert signals.requested() == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before  # the handler it found is put back


# -- a full disk while checkpointing --------------------------------------------------------------------
def test_a_full_disk_at_a_checkpoint_is_one_line_and_keeps_the_last_good_one(tmp_path, monkeypatch):
    run = tmp_path / "run"
    ref = tmp_path / "ref"
    train("toy-mlp", out=ref, **TRAIN)
    real = checkpoint.free_bytes
    calls = []

    def free(path):
        calls.append(path)
        return 1000 if len(calls) == 2 else real(path)  # the second checkpoint finds 1,000 bytes free

    monkeypatch.setattr(checkpoint, "free_bytes", free)
    with pytest.raises(GanbenchError) as e:
        train("toy-mlp", out=run, **TRAIN)
    msg = str(e.value)
    assert "\n" not in msg and f"cannot write checkpoint {run}/checkpoints/step-00000004.safetensors" in msg
    assert "bytes needed, 1,000 free" in msg and "the last good checkpoint is step 2" in msg
    assert checkpoint.list_steps(run) == [2] and not list(run.rglob("*.part"))
    monkeypatch.setattr(checkpoint, "free_bytes", real)
    train(resume=run, checkpoint_every=2, progress=False)
    a = checkpoint.load(checkpoint.path_for(run, 4))[0]
    b = checkpoint.load(checkpoint.path_for(ref, 4))[0]
    assert all(torch.equal(a[k], b[k]) for k in b)


# -- elastic torchrun ---------------------------------------------------------------------------------
@pytest.mark.distributed
def test_torchrun_max_restarts_resumes_from_the_last_checkpoint_by_itself(tmp_path):
    """Rank 1 is killed (SIGKILL) after step 5 of the first attempt; torchrun restarts the group, which finds
    its run in --out and resumes from the step-4 checkpoint: the weights equal an uninterrupted run's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env.update(OMP_NUM_THREADS="1", GANBENCH_QUIET="1")
    args = [
        "train",
        "toy-mlp",
        "--steps",
        "8",
        "--checkpoint-every",
        "2",
        "--device",
        "cpu",
        "--set",
        "batch_size=16",
        "--set",
        "g_batch_size=16",
        "--set",
        "z_dim=8",
    ]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    p = subprocess.run(
        launcher + ["-m", "ganbench", *args, "--out", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    p = subprocess.run(
        launcher + ["--max-restarts=1", str(FAULTS), "SIGKILL", "5", "1", "--", *args, "--out", str(tmp_path / "two")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert "exitcode: -9" in p.stderr, p.stderr[-3000:]  # the first attempt lost a worker
    logs = [
        [
            {k: v for k, v in json.loads(line).items() if k not in ("step_per_s", "images_per_s")}
            for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()
        ]
        for run in ("one", "two")
    ]
    assert [r["step"] for r in logs[1] if r["kind"] == "train"] == list(range(1, 9))
    assert logs[1] == logs[0]  # the log reads as one run: lines after the checkpoint were dropped
    a = checkpoint.load(checkpoint.path_for(tmp_path / "one", 8))[0]
    b = checkpoint.load(checkpoint.path_for(tmp_path / "two", 8))[0]
    assert all(torch.equal(a[k], b[k]) for k in a)
    TRIED["SIGKILL of a torchrun worker"] += 1
