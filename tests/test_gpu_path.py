"""The GPU path's code on CPU: statistics and FID on a torch device, bf16 autocast extraction,
torch.compile training, and benchmarks/gpu.py's dry run (issue 24 section 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.errors import GanbenchError
from ganbench.metrics.fid import fid_from_features, frechet_distance
from ganbench.stats import GaussianStats

REPO = Path(__file__).resolve().parents[1]


def _features(n, d, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).standard_normal((16, d)) / 4
    return np.maximum(rng.standard_normal((n, 16)) @ basis * scale + 0.3 + 0.1 * rng.standard_normal((n, d)), 0)


def test_statistics_on_a_torch_device_equal_the_float64_numpy_route():
    a = _features(500, 48, 0).astype(np.float32)
    np_stats, t_stats = GaussianStats.from_features(a), GaussianStats.from_tensor(torch.from_numpy(a))
    assert t_stats.n == 500
    np.testing.assert_allclose(t_stats.mu, np_stats.mu, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t_stats.sigma, np_stats.sigma, rtol=0, atol=1e-12 * np.abs(np_stats.sigma).max())
    assert np.array_equal(t_stats.sigma, t_stats.sigma.T)
    with pytest.raises(GanbenchError, match="need"):
        GaussianStats.from_tensor(torch.zeros(1, 4))


@pytest.mark.parametrize("n1,n2", [(400, 500), (30, 500), (30, 40)])  # Cholesky, one singular, both singular
def test_frechet_distance_on_a_torch_device_equals_the_numpy_route(n1, n2):
    a, b = _features(n1, 48, 1), _features(n2, 48, 2, scale=1.3)
    ga, gb = GaussianStats.from_features(a), GaussianStats.from_features(b)
    ours = frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma, device="cpu")
    full_rank = min(n1, n2) > 48
    # singular covariances: both d x d routes carry ~1e-8 of rounding noise from the zero eigenvalues
    assert ours == pytest.approx(frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma), rel=1e-9 if full_rank else 1e-6)
    if full_rank:
        return
    # a rank-deficient pair: the exact feature route is the judge (the d x d routes carry ~1e-7 of noise)
    assert ours == pytest.approx(fid_from_features(a, b), rel=1e-5)


def test_identical_sets_have_zero_distance_on_the_device_route():
    a = _features(300, 32, 3)
    g = GaussianStats.from_features(a)
    assert frechet_distance(g.mu, g.sigma, g.mu, g.sigma, device="cpu") == pytest.approx(0.0, abs=1e-9)


def test_bf16_autocast_extraction_changes_features_a_little_and_says_so(inception_weights):
    from ganbench.features import InceptionExtractor

    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    fp32 = InceptionExtractor(weights=inception_weights, device="cpu")
    bf16 = InceptionExtractor(weights=inception_weights, device="cpu", amp="bf16")
    a, b = fp32(x)[0], bf16(x)[0]
    assert b.dtype == np.float32
    rel = np.abs(a - b).max() / np.abs(a).max()
    assert 0 < rel < 0.05, rel  # bf16 has 8 mantissa bits: a change, and a small one
    assert bf16.describe()["dtype"] == "float32-bf16-autocast" and fp32.describe()["dtype"] == "float32"
    assert np.array_equal(fp32(x)[0], a)  # the fp32 path is untouched by the other extractor's autocast
    with pytest.raises(GanbenchError, match="unknown amp"):
        InceptionExtractor(weights=inception_weights, device="cpu", amp="fp8")


def test_gpu_benchmark_refuses_without_cuda_in_one_line(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    p = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "CUDA is not available" in lines[0] and "--device cpu --quick" in lines[0]
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_gpu_benchmark_dry_run_on_cpu(tmp_path):
    """Every section's code path runs on CPU and writes its rows (the figures mean nothing here)."""
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--out", str(out), "--device", "cpu", "--quick"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = json.loads((out / "gpu.json").read_text())
    rows = res["rows"]
    sections = {r["section"] for r in rows}
    assert sections == {"extract", "bf16-fid", "fid", "train", "torchrun"}, sections
    ext = [r for r in rows if r["section"] == "extract"]
    assert {r["impl"] for r in ext} == {"ganbench", "torch-fidelity", "ganbench-clean", "clean-fid"}
    for r in ext:  # every library's features equal fp32 CPU ones in fp32 and differ a little in bf16
        assert r["max_rel_diff_vs_cpu_fp32"] < (1e-5 if r["precision"] == "fp32" else 0.05), r
    (bf,) = [r for r in rows if r["section"] == "bf16-fid"]
    assert bf["fid_bf16"] != bf["fid_fp32"] and abs(bf["rel_change"]) < 0.05
    for r in (r for r in rows if r["section"] == "fid"):
        assert r["rel_diff_vs_pytorch_fid"] < 1e-6, r
    run = [r for r in rows if r["section"] == "torchrun"]
    assert run[0]["max_rel_diff"] == 0 and run[1]["identical"] is True
    assert {r["precision"] for r in rows if r["section"] == "train"} == {"fp32", "bf16"}
    md = (out / "gpu.md").read_text()
    assert "## extract" in md and "## torchrun" in md and res["env"]["torch"] == torch.__version__
    assert "FAILED" not in md


@pytest.mark.slow
def test_compiled_training_follows_the_eager_run(tmp_path):
    """`--compile` on CPU (inductor; a toy model so that compiling takes seconds): the same steps, the same
    losses to float rounding (compiled kernels fuse and reorder), and the run records that it compiled."""
    import shutil

    import ganbench
    from ganbench.train import checkpoint

    if not (shutil.which("g++") or shutil.which("c++")):
        pytest.skip("torch.compile on CPU (inductor) needs a C++ compiler on PATH")
    logs, weights = {}, {}
    for compiled in (False, True):
        out = tmp_path / ("c" if compiled else "e")
        ganbench.train(
            "toy-mlp",
            out=out,
            steps=3,
            compile=compiled,
            checkpoint_every=3,
            set={"batch_size": 64, "g_batch_size": 64},
            progress=False,
        )
        logs[compiled] = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if '"train"' in x]
        weights[compiled] = checkpoint.load(checkpoint.path_for(out, 3))[0]
        assert json.loads((out / "run.json").read_text())["compile"] is compiled
    assert [r["step"] for r in logs[True]] == [r["step"] for r in logs[False]] == [1, 2, 3]
    for a, b in zip(logs[False], logs[True]):
        assert a["loss_d"] == pytest.approx(b["loss_d"], rel=1e-4) and a["loss_g"] == pytest.approx(
            b["loss_g"], rel=1e-4
        )
    for k, v in weights[False].items():
        if v.is_floating_point():
            torch.testing.assert_close(weights[True][k], v, rtol=1e-4, atol=1e-5)
