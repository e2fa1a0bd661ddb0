"""3. End-to-end: `ganbench eval SAMPLES --ref REF --metrics fid` with REF's features already
cached, against the equivalent `torch_fidelity.calculate_metrics(..., fid=True)` call with REF
cached (input2_cache_name). Both run as fresh processes from PNG folders, as a user would, so
the times include start-up, decoding, extraction and the metric.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

FID_TOL = 1e-5
_RESULTS: dict = {}


@pytest.fixture(scope="module")
def folders(workdir, cifar, quick):
    from PIL import Image

    n_samples, n_ref = (24, 32) if quick else (128, 256)
    rng = __import__("numpy").random.default_rng(0)
    gen = cifar["train_images"][:n_samples].astype("int16") + rng.integers(-20, 21, (n_samples, 32, 32, 3))
    gen = gen.clip(0, 255).astype("uint8")
    ref = cifar["test_images"][:n_ref]
    out = {}
    for name, arr in (("samples", gen), ("reference", ref)):
        d = workdir / "eval" / name
        d.mkdir(parents=True, exist_ok=True)
        for i, im in enumerate(arr):
            Image.fromarray(im).save(d / f"{i:05d}.png")
        out[name] = d
    out["home"] = workdir / "eval" / "ganbench-home"
    out["fidelity_cache"] = workdir / "eval" / "fidelity-cache"
    return out


def _env(folders):
    env = dict(os.environ)
    env["GANBENCH_HOME"] = str(folders["home"])
    env["GANBENCH_QUIET"] = "1"
    return env


def _ganbench_cmd(folders, weights, device, out_json):
    return [
        sys.executable,
        "-m",
        "ganbench",
        "eval",
        str(folders["samples"]),
        "--ref",
        str(folders["reference"]),
        "--metrics",
        "fid",
        "--weights",
        str(weights),
        "--device",
        device,
        "--json",
        str(out_json),
    ]


FIDELITY_CALL = """
import json, sys, torch_fidelity
extra = {"input1_cache_name": sys.argv[6]} if len(sys.argv) > 6 else {}
m = torch_fidelity.calculate_metrics(input1=sys.argv[1], input2=sys.argv[2], fid=True, cuda=sys.argv[5] != "cpu",
    cache_root=sys.argv[3], input2_cache_name="bench-reference", feature_extractor_weights_path=sys.argv[4],
    verbose=False, **extra)
print(json.dumps(m))
"""


def _fidelity_cmd(folders, weights, device, samples_cache_name=None):
    return [
        sys.executable,
        "-c",
        FIDELITY_CALL,
        str(folders["samples"]),
        str(folders["reference"]),
        str(folders["fidelity_cache"]),
        str(weights),
        device,
    ] + ([samples_cache_name] if samples_cache_name else [])


def _fidelity_features(folders, name):
    """The pool3 features torch-fidelity cached for `name` (its own extraction, untimed)."""
    import torch

    (path,) = folders["fidelity_cache"].glob(f"{name}-*-features-2048.pt")
    return torch.load(path, map_location="cpu", weights_only=True).numpy()


def _run(cmd, env, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if p.returncode != 0:
        raise AssertionError(f"{cmd[:4]} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return seconds, p.stdout


@pytest.mark.parametrize("impl", ["torch-fidelity", "ganbench"])
def bench_eval(benchmark, impl, folders, weights, device, report, quick, workdir):
    repo = Path(__file__).resolve().parents[1]
    env = _env(folders)
    out_json = workdir / "eval" / "record.json"
    if impl == "ganbench":
        cmd = _ganbench_cmd(folders, weights, device, out_json)

        def value(stdout):
            return json.loads(out_json.read_text())["metrics"]["fid"]["value"]
    else:
        cmd = _fidelity_cmd(folders, weights, device)

        def value(stdout):
            return json.loads(stdout.strip().splitlines()[-1])["frechet_inception_distance"]

    # untimed: fills the reference cache (and warms the file system cache); torch-fidelity's
    # warm-up also caches its sample features, which the agreement check below reads
    _run(cmd if impl == "ganbench" else _fidelity_cmd(folders, weights, device, "bench-samples"), env, repo)
    rounds = 1 if quick else 2
    seconds, stdout = benchmark.pedantic(_run, args=(cmd, env, repo), rounds=rounds, iterations=1, warmup_rounds=0)
    seconds = benchmark.stats.stats.min
    fid = value(stdout)
    n = len(list(folders["samples"].iterdir()))
    _RESULTS[impl] = (fid, seconds)
    row = report.add(
        "eval",
        f"{n} samples vs {len(list(folders['reference'].iterdir()))} cached reference, FID",
        impl,
        n=n,
        rounds=rounds,
        seconds=seconds,
        img_per_s=n / seconds,
        fid=fid,
    )
    if impl == "ganbench" and "torch-fidelity" in _RESULTS:
        from common import exact_fid

        ref, ref_s = _RESULTS["torch-fidelity"]
        # Fewer samples than dimensions: both covariances are singular, and torch-fidelity's
        # eigvals(S1 S2) route carries ~1e-5 of rounding noise from the ~2000 zero eigenvalues.
        # The exact FID of torch-fidelity's own features (nuclear norm of the small cross-Gram
        # matrix, no spurious eigenvalues) is the number both must reproduce.
        exact = exact_fid(_fidelity_features(folders, "bench-samples"), _fidelity_features(folders, "bench-reference"))
        row["rel_diff"] = abs(fid - exact) / abs(exact)
        row["fidelity_rel_diff_to_exact"] = abs(ref - exact) / abs(exact)
        row["exact_fid_of_fidelity_features"] = exact
        row["ratio_vs"] = f"{ref_s / seconds:.2f}x torch-fidelity"
        row["note"] = (
            f"fresh processes from PNG folders, start-up included; rel_diff vs the exact FID of "
            f"torch-fidelity's features (torch-fidelity's own value: {row['fidelity_rel_diff_to_exact']:.1e})"
        )
        assert row["rel_diff"] <= FID_TOL, f"FID {fid} vs exact {exact}: {row['rel_diff']:.2e}"
