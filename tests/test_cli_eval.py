"""End-to-end `ganbench eval` / `ganbench stats` and `ganbench.evaluate` (issue 2).

Real CIFAR-10 images (12 per side) through the real pipeline and the random-init Inception of
the exact FID architecture (tests/conftest.py): the weights are NOT the official ones, which
every record must say. The sets are tiny, so the metric options are shrunk to be valid on
them (IS in 2 splits, KID subsets of 6); FID on 12 samples is rank-deficient (and warned
about), which does not matter for the equalities checked here.

Cost: Inception runs at a few images per second on a shared CPU and FID on 12 samples costs
seconds (a 2048-d eigendecomposition), so this module shares one GANBENCH_HOME (reference
features are extracted once and then come from the cache; test_cache.py checks the cache
itself with isolated homes) and keeps FID to the tests about FID.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganbench
from ganbench.cli import cli
from ganbench.metrics import ALL, METRICS
from ganbench.metrics.base import Features

N = 12
OPTS = dict(is_splits=2, kid_subset_size=10, kid_subsets=10)
TINY = ["--is-splits", "2", "--kid-subset-size", "10", "--kid-subsets", "10"]
NO_FID = [m for m in ALL if m != "fid"]
pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def module_home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("ganbench_home")
        mp.setenv("GANBENCH_HOME", str(home))
        mp.setenv("GANBENCH_QUIET", "1")
        yield home


@pytest.fixture(autouse=True)
def _isolated_home(module_home):
    """Overrides conftest's per-test home: this module shares one (see the module docstring)."""
    assert os.environ["GANBENCH_HOME"] == str(module_home)


def degrade(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """A stand-in generator: noisy, colour-shifted copies of real images."""
    rng = np.random.default_rng(seed)
    x = images.astype(np.float32) * 0.85 + 20 + rng.normal(0, 18, images.shape)
    return np.clip(x, 0, 255).astype(np.uint8)


def save(path, array, fmt="PNG", **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt, **kw)


@pytest.fixture(scope="module")
def data(module_home, tmp_path_factory, cifar_excerpt):
    root = tmp_path_factory.mktemp("e2e")
    reals = cifar_excerpt["test_images"][:N]
    fakes = degrade(cifar_excerpt["train_images"][:N])
    for i in range(N):
        save(root / "reals" / f"{i:03d}.png", reals[i])
        save(root / "fakes" / f"{i:03d}.png", fakes[i])
        # the same pixels in every lossless format the folder reader takes
        fmt, ext, kw = [("PNG", "png", {}), ("BMP", "bmp", {}), ("WEBP", "webp", {"lossless": True})][i % 3]
        save(root / "fakes_mixed" / f"{i:03d}.{ext}", fakes[i], fmt, **kw)
    (root / "fakes_mixed" / "README.txt").write_text("not an image\n")
    np.savez(root / "fakes_arr0.npz", fakes, labels=np.arange(N))  # arr_0 chosen among two arrays
    np.savez_compressed(root / "fakes_key.npz", images=fakes)  # the only key, compressed
    np.save(root / "fakes.npy", fakes)
    return {"root": root, "reals": reals, "fakes": fakes}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def eval_json(*args) -> dict:
    """`ganbench eval ... --json -`: stdout must hold the JSON record and nothing else."""
    r = ok(run("eval", *args, "--json", "-"))
    assert "ganbench: warning: NOT the official FID Inception weights" in r.stderr  # said, but not on stdout
    return json.loads(r.stdout)


def assert_clean_error(result, *fragments, written=()):
    """Exit 2, exactly one line on stderr naming what is wrong, no traceback, no output file."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for f in fragments:
        assert f in lines[0], lines[0]
    for path in written:
        assert not os.path.exists(path), path
    return lines[0]


@pytest.fixture(scope="module")
def stats_file(data, inception_weights):
    """`ganbench stats reals/ -o reals.ganbench.npz`."""
    out = data["root"] / "reals.ganbench.npz"
    r = ok(run("stats", data["root"] / "reals", "-o", out, "--weights", inception_weights))
    assert r.stdout.strip() == f"wrote {out}: {N} images, 2048-d features"
    assert "NOT the official" in r.stderr
    return out


@pytest.fixture(scope="module")
def baseline(data, inception_weights):
    """All seven metrics for the in-memory arrays."""
    return ganbench.evaluate(data["fakes"], ref=data["reals"], metrics=ALL, weights=inception_weights, **OPTS)


@pytest.fixture(scope="module")
def by_stats_file(data, stats_file, inception_weights):
    return eval_json(
        data["root"] / "fakes",
        "--ref",
        stats_file,
        "--metrics",
        "fid,is,kid",
        *TINY,
        "--weights",
        inception_weights,
        "--batch-size",
        "16",
    )


def values(record: dict) -> dict:
    return {k: v["value"] for k, v in record["metrics"].items()}


# ------------------------------------------------------------------------------- listing


def test_list_metrics_lists_every_registered_metric_once():
    r = ok(run("list", "metrics"))
    lines = r.stdout.splitlines()[1:]
    listed = [line.split()[0] for line in lines if line.split()[0] != "options:"]
    assert r.stdout.startswith("metrics:")
    registered = sorted({m.name for _, m in METRICS.items()})
    assert sorted(listed) == registered and set(ALL) <= set(listed) and len(ALL) == 7
    assert "sfid" in listed and "clip-fid" in listed
    assert any("options: kid_subsets=100" in line for line in lines)


# -------------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("form", ["fakes_mixed", "fakes_arr0.npz", "fakes_key.npz", "fakes.npy"])
def test_every_input_form_gives_the_array_values(form, data, baseline, inception_weights):
    """Lossless files hold the same pixels, so every metric must be equal, not close.

    FID is left out here to keep the module fast: it reads the same pool features that KID,
    precision, recall, density and coverage read (and the PNG folder's FID is checked equal to
    the array's in test_stats_file_reference_equals_folder_reference)."""
    r = ganbench.evaluate(
        str(data["root"] / form), ref=data["reals"], metrics=NO_FID, weights=inception_weights, **OPTS
    )
    for name in NO_FID:
        assert r[name] == pytest.approx(baseline[name], rel=1e-12, abs=1e-15), name
        std, base_std = r.metrics[name].std, baseline.metrics[name].std
        assert (std is None and base_std is None) or std == pytest.approx(base_std, rel=1e-12, abs=1e-15)
    s = r.provenance["samples"]
    assert s["count"] == N and s["content_sha256"] and len(s["content_sha256"]) == 64
    if form == "fakes_mixed":
        assert s["kind"] == "folder" and tuple(s["shape"]) == (32, 32)
        assert s["notes"] == ["ignored 1 non-image file(s): 1 .txt"]
    else:
        assert s["kind"] == form.rsplit(".", 1)[1] and s["notes"] == []
        if form.endswith(".npz"):
            assert s["key"] == ("arr_0" if "arr0" in form else "images")


def test_stats_file_reference_equals_folder_reference(data, by_stats_file, baseline, inception_weights):
    """`ganbench stats reals/ -o F` then `--ref F` gives what `--ref reals/` gives (and the arrays give)."""
    by_folder = eval_json(
        data["root"] / "fakes",
        "--ref",
        data["root"] / "reals",
        "--metrics",
        "fid,is,kid",
        *TINY,
        "--weights",
        inception_weights,
        "--batch-size",
        "16",
    )
    assert values(by_stats_file) == pytest.approx(values(by_folder), rel=1e-12)
    for name in ("fid", "is", "kid"):
        assert by_folder["metrics"][name]["value"] == pytest.approx(baseline[name], rel=1e-9), name
    assert by_stats_file["provenance"]["reference"]["count"] == N
    assert (
        by_stats_file["provenance"]["reference"]["content_sha256"]
        == by_folder["provenance"]["reference"]["content_sha256"]
    )  # the stats file remembers its images


def test_results_do_not_depend_on_batch_size(data, stats_file, by_stats_file, inception_weights):
    bs5 = eval_json(
        data["root"] / "fakes",
        "--ref",
        stats_file,
        "--metrics",
        "fid,is,kid",
        *TINY,
        "--weights",
        inception_weights,
        "--batch-size",
        "5",
    )  # batches of 5, 5, 2
    assert bs5["provenance"]["batch_size"] == 5 and by_stats_file["provenance"]["batch_size"] == 16
    for name in ("fid", "is", "kid"):
        # features agree to float32 rounding (convolution algorithms can depend on the batch)
        assert bs5["metrics"][name]["value"] == pytest.approx(by_stats_file["metrics"][name]["value"], rel=1e-6), name


def test_default_batch_size_is_chosen_from_the_device_and_fast_is_cuda_only(
    data, stats_file, by_stats_file, inception_weights
):
    """No --batch-size: the extractor's memory-derived batch is used and recorded. --fast on a
    CPU says that it changes nothing, and changes nothing (no TF32 here)."""
    from ganbench.features.extractor import auto_batch_size

    r = ok(
        run(
            "eval",
            data["root"] / "fakes",
            "--ref",
            stats_file,
            "--metrics",
            "fid,is,kid",
            *TINY,
            "--weights",
            inception_weights,
            "--fast",
            "--device",
            "cpu",
            "--json",
            "-",
        )
    )
    assert "ganbench: warning: fast mode (TF32) exists on CUDA only" in r.stderr
    rec = json.loads(r.stdout)
    assert rec["provenance"]["batch_size"] == auto_batch_size(torch.device("cpu")) >= 1
    assert rec["provenance"]["dtype"] == "float32"
    for name in ("fid", "is", "kid"):
        assert rec["metrics"][name]["value"] == pytest.approx(by_stats_file["metrics"][name]["value"], rel=1e-6), name


def test_pytorch_fid_statistics_are_an_fid_only_reference(data, stats_file, by_stats_file, inception_weights):
    with np.load(stats_file) as z:  # a pytorch-fid style file, written from our own statistics
        mu, sigma = z["mu"], z["sigma"]
    pfid = data["root"] / "fid_stats_reals.npz"
    np.savez(pfid, mu=mu, sigma=sigma)
    rec = eval_json(data["root"] / "fakes", "--ref", pfid, "--metrics", "fid", "--weights", inception_weights)
    assert rec["metrics"]["fid"]["value"] == pytest.approx(by_stats_file["metrics"]["fid"]["value"], rel=1e-6)
    assert rec["provenance"]["reference"]["kind"] == "pytorch-fid statistics"
    out = data["root"] / "kid.json"
    r = run(
        "eval",
        data["root"] / "fakes",
        "--ref",
        pfid,
        "--metrics",
        "fid,kid",
        *TINY,
        "--weights",
        inception_weights,
        "--json",
        out,
    )
    assert_clean_error(r, "kid", "mean/covariance", "--metrics fid", written=[out])


# ---------------------------------------------------------------------------- known answers


def test_set_against_itself_gives_fid_zero_arrays(data, inception_weights):
    r = ganbench.evaluate(data["reals"], ref=data["reals"], metrics=["fid"], weights=inception_weights)
    assert r["fid"] == pytest.approx(0.0, abs=1e-6)


def test_set_against_itself_gives_fid_zero_cli_subprocess(data, stats_file, module_home, inception_weights, tmp_path):
    """A true end-to-end run: `python -m ganbench`, exit codes, streams."""
    env = {**os.environ, "GANBENCH_HOME": str(module_home), "GANBENCH_QUIET": "1", "OMP_NUM_THREADS": "1"}
    out = tmp_path / "self.json"
    reals = str(data["root"] / "reals")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganbench",
            "eval",
            reals,
            "--ref",
            reals,
            "--metrics",
            "fid",
            "--weights",
            str(inception_weights),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert all(line.startswith("ganbench: ") for line in p.stderr.splitlines()), p.stderr
    assert p.stdout.splitlines()[0].split() == ["metric", "value", "spread", "CI"]  # the table, on stdout
    assert "weights: NOT OFFICIAL" in p.stdout
    rec = json.loads(out.read_text())
    assert rec["metrics"]["fid"]["value"] == pytest.approx(0.0, abs=1e-6)
    assert rec["provenance"]["reference"]["cached"] is True  # `ganbench stats reals/` (in-process) cached them

    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganbench",
            "eval",
            str(tmp_path / "missing"),
            "--ref",
            reals,
            "--weights",
            str(inception_weights),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        f"ganbench: error: no such file or folder: {tmp_path / 'missing'}: check the path"
    ]


# -------------------------------------------------------------------------------- records


def test_python_api_record(data, inception_weights, tmp_path):
    samples, reals = str(data["root"] / "fakes"), str(data["root"] / "reals")
    r = ganbench.evaluate(samples, ref=reals, metrics=["fid", "is"], weights=inception_weights, is_splits=2)
    path = tmp_path / "record.json"
    text = r.to_json(path)
    rec = json.loads(path.read_text())
    assert rec == json.loads(text) == json.loads(json.dumps(r.to_dict()))
    assert list(rec["metrics"]) == ["fid", "is"]
    assert rec["metrics"]["fid"]["value"] > 0
    assert rec["metrics"]["is"]["std"] > 0 and rec["metrics"]["is"]["std_of"] == "2 splits"
    p = rec["provenance"]
    assert p["ganbench"] == ganbench.__version__ and p["torch"] == torch.__version__
    assert p["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", p["git_commit"])
    assert p["device"] == "cpu"
    assert p["weights"]["official"] is False and len(p["weights"]["sha256"]) == 64
    assert p["resize"] == "tf-legacy" and p["extractor"] == "inception-v3-compat"
    assert p["samples"]["count"] == N and p["samples"]["path"] == samples
    assert p["reference"]["name"] == reals and p["reference"]["count"] == N
    assert re.fullmatch(r"[0-9a-f]{64}", p["reference"]["content_sha256"])
    assert re.fullmatch(r"[0-9a-f]{64}", p["samples"]["content_sha256"])
    assert isinstance(p["reference"]["cached"], bool)
    assert p["seeds"] == {"bootstrap": 0, "kid": 2020, "is_shuffle": 2020}
    assert p["options"]["is_splits"] == 2 and not any(k.startswith("_") for k in p["options"])
    assert set(p["seconds"]) >= {"setup", "reference_features", "sample_features", "metric_fid", "metric_is"}
    assert all(v >= 0 for v in p["seconds"].values())
    assert any(w.startswith("NOT the official FID Inception weights") for w in rec["warnings"])
    assert "weights: NOT OFFICIAL" in r.table()


# ------------------------------------------------------------------------------- bootstrap


@pytest.fixture
def reuse_features(monkeypatch):
    """Extract each (source, kind) once: the bootstrap reruns differ in resampling only."""
    import ganbench.engine as engine

    real, memo = engine.get_features, {}

    def memoised(source, **kw):
        key = (source.content_hash(), kw.get("keep"), kw.get("batch_size"))
        if key not in memo:
            memo[key] = real(source, **kw)
        return memo[key]

    monkeypatch.setattr(engine, "get_features", memoised)
    return memo


def test_bootstrap_is_seeded(data, stats_file, inception_weights, reuse_features):
    """FID's bootstrap (21 FIDs of 2048-d) is too slow for this module: see the next test."""
    args = [
        data["root"] / "fakes.npy",
        "--ref",
        stats_file,
        "--metrics",
        "is,kid,precision,recall",
        *TINY,
        "--weights",
        inception_weights,
        "--bootstrap",
        "20",
    ]
    a, b = eval_json(*args, "--seed", "1"), eval_json(*args, "--seed", "1")
    c = eval_json(*args, "--seed", "2")
    assert a["metrics"] == b["metrics"]
    assert a["provenance"]["seeds"]["bootstrap"] == 1 and c["provenance"]["seeds"]["bootstrap"] == 2
    assert values(a) == values(c)  # the estimates do not depend on the bootstrap seed ...
    for name in ("is", "kid"):  # ... their intervals do (precision/recall of 12 samples are
        assert a["metrics"][name]["ci"] != c["metrics"][name]["ci"], name  # too discrete to be sure)
    for name, m in a["metrics"].items():
        lo, hi = m["ci"]
        assert lo <= hi and m["ci_method"], name
        if name != "is":  # percentile intervals of a mean; IS resampled with replacement is biased low
            assert lo <= m["value"] <= hi, name


@pytest.mark.filterwarnings("ignore:FID. the")
@pytest.mark.parametrize("n, d", [(40, 16), (20, 64)], ids=["full-rank", "rank-deficient"])
def test_fid_bootstrap_interval(n, d):
    """FID's interval is the percentile interval shifted by the bootstrap bias (resampling with
    replacement duplicates points and inflates FID), so it is centred on the estimate: it must
    contain it, be reproducible for a seed and move with the seed. Low-dimensional features keep
    21 Frechet distances cheap; the code path is the one `--bootstrap` runs."""
    import zlib

    gen = np.random.default_rng(0).normal(0.3, 1.0, (n, d)).astype(np.float32)
    ref = np.random.default_rng(1).normal(0.0, 1.1, (n, d)).astype(np.float32)
    fid = METRICS.get("fid")

    def ci(seed):
        rng = np.random.default_rng([seed, zlib.crc32(b"fid")])  # as the engine seeds it
        opts = {"bootstrap": 20, "confidence": 0.95}
        return fid.compute(Features(gen), Features(ref), opts, rng)

    a, b, c = ci(1), ci(1), ci(2)
    assert a.ci == b.ci and a.value == b.value and a.ci != c.ci
    assert a.ci[0] <= a.value <= a.ci[1] and c.ci[0] <= c.value <= c.ci[1]
    assert a.ci[0] < a.ci[1] and "bias-corrected" in a.ci_method


# ------------------------------------------------------------------------------- odd inputs


def test_mixed_sizes_and_modes_are_converted_and_reported(data, stats_file, inception_weights, tmp_path):
    x = data["fakes"]
    odd = tmp_path / "odd"
    save(odd / "0-rgb.png", x[0])
    save(odd / "1-grey.png", x[1].mean(axis=2).astype(np.uint8))
    save(odd / "2-rgba-40x28.png", np.dstack([np.resize(x[2], (40, 28, 3)), np.full((40, 28), 200, np.uint8)]))
    Image.fromarray((x[3].mean(axis=2) * 257).astype(np.uint16)).save(odd / "3-grey16.png")
    save(odd / "4-photo-48x48.jpg", np.resize(x[4], (48, 48, 3)), "JPEG", quality=90)
    save(odd / "5-rgb-24x24.png", x[5][:24, :24])
    assert Image.open(odd / "3-grey16.png").mode.startswith("I")
    out = tmp_path / "new" / "sub" / "out.json"  # --json into a missing folder creates it
    r = ok(
        run(
            "eval",
            odd,
            "--ref",
            stats_file,
            "--metrics",
            "precision,recall",
            "--weights",
            inception_weights,
            "--json",
            out,
        )
    )
    rec = json.loads(out.read_text())
    notes = rec["provenance"]["samples"]["notes"]
    assert any("greyscale image(s) converted to RGB" in n for n in notes)
    assert any("RGBA image(s): alpha channel dropped" in n for n in notes)
    assert any("16-bit greyscale" in n for n in notes)
    for n in notes:
        assert f"ganbench: note: samples: {n}" in r.stderr.splitlines()
    assert rec["provenance"]["samples"]["count"] == 6
    assert rec["provenance"]["samples"]["shape"] is None  # sizes differ: each image resized on its own
    assert 0 <= rec["metrics"]["precision"]["value"] <= 1
    assert r.stdout.startswith("metric")  # the table still goes to stdout


# ------------------------------------------------------------------------------- bad input


def test_bad_inputs_fail_cleanly(data, inception_weights, tmp_path):
    """Each: exit 2, one line on stderr naming the file or option and the fix, no output file."""
    reals = data["root"] / "reals"
    out = tmp_path / "out.json"
    w = ["--weights", inception_weights, "--json", out]

    assert_clean_error(run("eval", tmp_path / "nope", "--ref", reals, *w), "nope", "check the path", written=[out])
    (tmp_path / "empty").mkdir()
    assert_clean_error(
        run("eval", tmp_path / "empty", "--ref", reals, *w),
        "no images found in",
        str(tmp_path / "empty"),
        written=[out],
    )
    assert_clean_error(
        run("eval", data["root"] / "fakes", "--ref", "cifar100", *w),
        "cifar100",
        "cifar10",
        "cifar10-test",
        written=[out],
    )
    line = assert_clean_error(
        run("eval", data["root"] / "fakes", "--ref", reals, "--metrics", "fid,fud", *w), "fud", written=[out]
    )
    assert all(m in line for m in ALL)
    np.save(tmp_path / "twenty.npy", np.concatenate([data["fakes"], data["fakes"][:8]]))
    assert_clean_error(
        run("eval", tmp_path / "twenty.npy", "--ref", reals, "--metrics", "kid", *w),
        "kid needs at least 1000",
        "got 20",
        "--kid-subset-size",
        written=[out],
    )
    np.save(tmp_path / "floats.npy", data["fakes"].astype(np.float32) / 255)
    assert_clean_error(run("eval", tmp_path / "floats.npy", "--ref", reals, *w), "floats.npy", "uint8", written=[out])
    assert_clean_error(
        run("eval", data["root"] / "fakes", "--metrics", "is", *w),  # 12 < 2 x 10 splits
        "is needs at least 20",
        "--is-splits",
        written=[out],
    )


def test_truncated_png_is_named(data, inception_weights, tmp_path):
    folder = tmp_path / "samples"
    for i in range(3):
        save(folder / f"{i}.png", data["fakes"][i])
    blob = (folder / "1.png").read_bytes()
    (folder / "1.png").write_bytes(blob[: len(blob) // 2])
    out = tmp_path / "out.json"
    assert_clean_error(
        run(
            "eval",
            folder,
            "--ref",
            data["root"] / "reals",
            "--metrics",
            "fid",
            "--weights",
            inception_weights,
            "--json",
            out,
        ),
        f"cannot read image {folder}/1.png",
        "re-export or delete it",
        written=[out],
    )


def test_bad_weights_files(data, tmp_path):
    reals = data["root"] / "reals"
    out = tmp_path / "out.json"

    corrupt = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    corrupt.write_bytes(b"\0" * 1000)
    fid = ["--metrics", "fid"]
    assert_clean_error(
        run("eval", reals, "--ref", reals, *fid, "--weights", corrupt, "--json", out),
        str(corrupt),
        "corrupted",
        "sha256",
        "download it again",
        written=[out],
    )

    wrong = tmp_path / "wrong.pth"
    torch.save({"a": torch.zeros(3)}, wrong)
    assert_clean_error(
        run("eval", reals, "--ref", reals, *fid, "--weights", wrong, "--json", out),
        str(wrong),
        "not an FID Inception-v3 weights file",
        written=[out],
    )

    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"this is not a torch file\n" * 40)
    assert_clean_error(
        run("eval", reals, "--ref", reals, *fid, "--weights", garbage, "--json", out),
        str(garbage),
        "cannot load Inception weights",
        written=[out],
    )

    assert_clean_error(
        run("eval", reals, "--ref", reals, *fid, "--weights", tmp_path / "missing.pth"), "missing.pth", "do not exist"
    )
    assert_clean_error(
        run("stats", reals, "-o", tmp_path / "s.npz", "--weights", wrong), str(wrong), written=[tmp_path / "s.npz"]
    )
