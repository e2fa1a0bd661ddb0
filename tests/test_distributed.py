"""torchrun: `torchrun --nproc_per_node=2 -m ganbench eval ...` on CPU with gloo equals one process.

The ranks shard every image source, rank 0 gathers the features in the original order (or
merges the FID running moments), scores, prints and writes the one record; rank 1 stays silent.
Sizes are odd on purpose (65 samples: shards of 33 and 32; 71 reference images: 36 and 35), so a
gather that dropped, padded or reordered rows would change IS (its splits), KID (its subsets) and
PRDC, and rank 1's progress bars (out of 32 and 35) would be told apart from rank 0's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from ganbench import distributed

pytestmark = [pytest.mark.distributed]

N_SAMPLES, N_REF = 65, 71
METRICS = "fid,is,kid,precision,recall,density,coverage"
OPTS = ["--kid-subset-size", "20", "--kid-subsets", "10", "--is-splits", "5", "--device", "cpu"]


@pytest.fixture(scope="module")
def files(tmp_path_factory, cifar_excerpt):
    root = tmp_path_factory.mktemp("dist")
    rng = np.random.default_rng(0)
    gen = cifar_excerpt["train_images"][:N_SAMPLES].astype(np.int16) + rng.integers(-25, 26, (N_SAMPLES, 32, 32, 3))
    np.save(root / "gen.npy", np.clip(gen, 0, 255).astype(np.uint8))
    np.save(root / "ref.npy", cifar_excerpt["test_images"][:N_REF])
    return root


def _env(home, quiet=True):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "GANBENCH_QUIET")
    }
    env["GANBENCH_HOME"] = str(home)
    if quiet:
        env["GANBENCH_QUIET"] = "1"
    return env


def _eval(files, weights, out, *extra, nproc=1, quiet=True, home="home"):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    cmd = (launcher if nproc > 1 else [sys.executable]) + [
        "-m",
        "ganbench",
        "eval",
        str(files / "gen.npy"),
        "--ref",
        str(files / "ref.npy"),
        "--weights",
        str(weights),
        "--json",
        str(out),
        *OPTS,
        *extra,
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env=_env(files / home, quiet), timeout=600)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(out.read_text()), p


def _values(rec):
    return {k: (v["value"], v["std"]) for k, v in rec["metrics"].items()}


@pytest.fixture(scope="module")
def single(files, inception_weights):
    rec, _ = _eval(files, inception_weights, files / "single.json", "--metrics", METRICS, "--no-cache")
    return rec


def _assert_same(got, want):
    for name, (value, std) in want.items():
        # features differ from the single-process run by float32 rounding only (other batch
        # compositions): ~1e-7 relative, which FID of 65 samples amplifies to ~1e-6 at most
        assert got[name][0] == pytest.approx(value, rel=1e-5, abs=1e-7), name
        if std is not None:
            assert got[name][1] == pytest.approx(std, rel=1e-4, abs=1e-7), name


def test_torchrun_all_metrics_equal_single_process(files, inception_weights, single):
    rec, p = _eval(
        files, inception_weights, files / "multi.json", "--metrics", METRICS, "--no-cache", nproc=2, quiet=False
    )
    _assert_same(_values(rec), _values(single))
    assert rec["provenance"]["world_size"] == 2
    assert rec["provenance"]["samples"]["count"] == N_SAMPLES and rec["provenance"]["reference"]["count"] == N_REF
    # rank 0 alone prints the table, the warnings and the progress bars (its shards: 33 and 36)
    assert p.stdout.count("samples: 65") == 1, p.stdout
    assert p.stderr.count("ganbench: warning: NOT the official") == 1, p.stderr[-3000:]
    assert re.search(r"\b\d+/33\b", p.stderr) and re.search(r"\b\d+/36\b", p.stderr), p.stderr[-3000:]
    assert not re.search(r"\b\d+/(32|35)\b", p.stderr), "rank 1 drew a progress bar"


def test_torchrun_fid_only_streams_and_uses_the_cache(files, inception_weights, single):
    """FID alone: ranks merge float64 moments (no features gathered); the cached reference is
    read by rank 0 only and its decision broadcast, so a second run extracts the samples only."""
    first, _ = _eval(files, inception_weights, files / "fid1.json", "--metrics", "fid", nproc=2, home="cache")
    second, _ = _eval(files, inception_weights, files / "fid2.json", "--metrics", "fid", nproc=2, home="cache")
    want = single["metrics"]["fid"]["value"]
    assert first["metrics"]["fid"]["value"] == pytest.approx(want, rel=1e-5)
    assert second["metrics"]["fid"]["value"] == pytest.approx(want, rel=1e-5)
    assert first["provenance"]["reference"]["cached"] is False
    assert second["provenance"]["reference"]["cached"] is True


def test_torchrun_stats_writes_one_file_from_rank_0(files, inception_weights, tmp_path):
    """`ganbench stats` under torchrun: rank 0 writes the file one process writes, the other rank stays
    silent. Rank 1 used to write its empty share over the same path and then fail on the features it does
    not hold (mypy found it: compute_stats took every rank's FeatureSet for a full one)."""
    saved = {}
    for nproc in (1, 2):
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
        out = tmp_path / f"ref{nproc}.npz"
        cmd = (launcher if nproc > 1 else [sys.executable]) + ["-m", "ganbench", "stats", str(files / "ref.npy")]
        cmd += ["-o", str(out), "--weights", str(inception_weights), "--device", "cpu", "--no-cache"]
        p = subprocess.run(cmd, capture_output=True, text=True, env=_env(files / "stats"), timeout=600)
        assert p.returncode == 0, p.stderr[-4000:]
        assert p.stdout.count(f"wrote {out}: {N_REF} images") == 1, p.stdout
        with np.load(out) as z:
            saved[nproc] = {k: z[k] for k in ("pool", "mu", "sigma", "n")}
    for k, want in saved[1].items():
        assert np.array_equal(saved[2][k], want), k


def test_shard_bounds_partition_in_order():
    for n in (0, 1, 2, 5, 64, 65, 1001):
        for ranks in (1, 2, 3, 8):
            bounds = distributed.shard_bounds(n, ranks)
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            sizes = [b - a for a, b in bounds]
            assert max(sizes) - min(sizes) <= 1


def test_single_process_is_not_distributed(monkeypatch):
    for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    assert not distributed.is_enabled() and distributed.is_main() and distributed.world_size() == 1
    assert distributed.shard([1, 2, 3]) == [1, 2, 3]
    assert distributed.init() is False


METRICS_SCRIPT = """
import json, os, sys
import numpy as np, torch
import ganbench

gen, ref, weights, out = sys.argv[1:5]
x = torch.from_numpy(np.load(gen)).permute(0, 3, 1, 2)
rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
edges = [0, 40, len(x)] if world == 2 else [0, len(x)]  # uneven shares: 40 and 25 images
part = x[edges[rank]:edges[rank + 1]]
opts = dict(weights=weights, device="cpu", kid_subset_size=20, kid_subsets=10, is_splits=5)
m = ganbench.Metrics(["fid", "is", "kid", "precision"], ref=ref, **opts)
for a in range(0, len(part), 11):  # batches of 11: the last one of each rank is partial
    m.update(part[a:a + 11].float() / 127.5 - 1 if a else part[a:a + 11])  # float in [-1, 1] or uint8
torch.manual_seed(0)
fc = torch.nn.Linear(8, 3 * 32 * 32)
results = {"metrics": m.compute(), "generator": ganbench.evaluate(lambda z: torch.tanh(2 * fc(z)).view(-1, 3, 32, 32),
           ref, ["fid", "kid"], n=len(x), z_dim=8, seed=1, **opts)}
with open(f"{out}.{rank}.json", "w") as f:
    json.dump({k: {"metrics": {m: {"value": v.value, "std": v.std} for m, v in r.metrics.items()} if r else None,
                   "count": r.provenance["samples"]["count"] if r else None,
                   "world": r.provenance.get("world_size", 1) if r else None} for k, r in results.items()}, f)
"""


def test_metrics_object_and_generator_under_torchrun_equal_one_process(files, inception_weights, tmp_path):
    """`ganbench.Metrics` in a DDP-style script: each rank updates with its own (uneven) share, compute()
    gathers the features of all of them, and every rank gets the numbers of one process fed them all.
    The float batches convert exactly back to the uint8 pixels (x / 127.5 - 1 -> x), so one process and
    two see the same images. `ganbench.evaluate(G)` under torchrun: each rank makes and extracts its shard
    of the samples, rank 0 scores them (the reference's features come from the first run's cache)."""
    script = tmp_path / "metrics_ddp.py"
    script.write_text(METRICS_SCRIPT)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    recs = {}
    for nproc, cmd in ((1, [sys.executable]), (2, launcher)):
        args = [
            str(script),
            str(files / "gen.npy"),
            str(files / "ref.npy"),
            str(inception_weights),
            str(tmp_path / f"n{nproc}"),
        ]
        p = subprocess.run(cmd + args, capture_output=True, text=True, env=_env(tmp_path / "home"), timeout=600)
        assert p.returncode == 0, p.stderr[-4000:]
        recs[nproc] = [json.loads((tmp_path / f"n{nproc}.{r}.json").read_text()) for r in range(nproc)]
    single, (rank0, rank1) = recs[1][0], recs[2]
    assert rank0["metrics"] == rank1["metrics"]  # every rank gets the same result
    assert rank0["metrics"]["count"] == single["metrics"]["count"] == N_SAMPLES and rank0["metrics"]["world"] == 2
    _assert_same(_values(rank0["metrics"]), _values(single["metrics"]))
    assert rank1["generator"]["metrics"] is None and rank0["generator"]["world"] == 2  # rank 0 scores
    assert rank0["generator"]["count"] == N_SAMPLES
    _assert_same(_values(rank0["generator"]), _values(single["generator"]))
