"""The defects a new-user trial found (issue 9), one test per item; each failed on the main of that day.

Item 1 (sampling intervals) is in test_intervals.py. Inception runs use the random-init weights of
the exact architecture (conftest.py) on a handful of real CIFAR-10 images.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import tarfile
import time

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from test_cifar10 import build_cifar_archive

import ganbench
from ganbench import cache
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.features import weights as W
from ganbench.inputs import references
from ganbench.inputs.images import open_source
from ganbench.inputs.labels import load_labels
from ganbench.inputs.references import get_reference, resolve_reference

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
N = 6


def run(*args, env=None):
    return CliRunner(env=env).invoke(cli, [str(a) for a in args])


def one_line_error(r, *fragments):
    assert r.exit_code == 2, (r.output, r.exception)
    lines = r.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("ganbench: error: "), r.stderr
    assert "Traceback" not in r.output
    for f in fragments:
        assert f in lines[-1], lines[-1]
    return lines[-1]


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture(scope="module")
def images(cifar_excerpt, tmp_path_factory):
    root = tmp_path_factory.mktemp("hardening")
    reals, fakes = cifar_excerpt["test_images"][:N], cifar_excerpt["train_images"][:N]
    for i in range(N):
        save_png(root / "reals" / f"{i}.png", reals[i])
        save_png(root / "fakes" / f"{i}.png", fakes[i])
    np.save(root / "fakes.npy", fakes)
    np.save(root / "reals.npy", reals)
    return root


# ------------------------------------------------------------------------- 2: KID settings


def test_tiny_kid_subsets_are_refused_before_any_extraction(images, inception_weights, monkeypatch):
    monkeypatch.setattr("ganbench.features.pipeline.extract", lambda *a, **k: pytest.fail("extracted"))
    r = run(
        "eval",
        images / "fakes.npy",
        "--ref",
        images / "reals.npy",
        "--metrics",
        "kid",
        "--kid-subset-size",
        2,
        "--weights",
        inception_weights,
    )
    one_line_error(r, "subset size 2 is too small", "--kid-subset-size 10")


# ------------------------------------------------------------------- 3: unwritable outputs


@pytest.mark.parametrize(
    "cmd",
    [
        ("eval", "{d}/fakes.npy", "--ref", "{d}/reals.npy", "--metrics", "is", "--is-splits", "2", "--json", "{bad}"),
        ("stats", "{d}/reals.npy", "-o", "{bad}.npz"),
        ("diagnose", "{d}/fakes.npy", "--ref", "{d}/reals.npy", "--out", "{bad}"),
    ],
)
@pytest.mark.parametrize("bad", ["/proc/ganbench-out", "{d}/a-file/out"])
def test_unwritable_outputs_fail_first_in_one_line(images, inception_weights, monkeypatch, cmd, bad):
    (images / "a-file").write_text("not a folder")
    monkeypatch.setattr("ganbench.features.pipeline.extract", lambda *a, **k: pytest.fail("extracted"))
    bad = bad.format(d=images)
    args = [a.format(d=images, bad=bad) for a in cmd] + ["--weights", str(inception_weights)]
    one_line_error(run(*args), "cannot write")


def test_a_record_that_cannot_be_written_after_the_work_still_prints_the_results(
    images, inception_weights, monkeypatch
):
    def broken(dest):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "atomic_path", broken)
    r = run(
        "eval",
        images / "fakes.npy",
        "--metrics",
        "is",
        "--is-splits",
        "2",
        "--no-cache",
        "--weights",
        inception_weights,
        "--json",
        images / "out.json",
    )
    line = one_line_error(r, "No space left", "results are printed above")
    assert "is " in r.stdout and line not in r.stdout
    assert not (images / "out.json").exists()


@pytest.mark.parametrize("home", ["/proc/ganbench", "{d}/a-file/ganbench"])
def test_an_unwritable_cache_home_costs_a_warning_not_the_result(images, inception_weights, monkeypatch, home):
    (images / "a-file").write_text("not a folder")
    monkeypatch.setenv("GANBENCH_HOME", home.format(d=images))
    r = run(
        "eval",
        images / "fakes",
        "--ref",
        images / "reals",
        "--metrics",
        "precision",
        "--weights",
        inception_weights,
        "--json",
        images / "rec.json",
    )
    assert r.exit_code == 0, r.output
    assert "precision" in r.stdout
    assert r.stderr.count("cannot be written") == 1, r.stderr
    assert json.loads((images / "rec.json").read_text())["metrics"]["precision"]["value"] >= 0


# ----------------------------------------------------------------------------- 4: labels


def test_labels_load_without_pickle_and_fail_in_one_line(tmp_path):
    np.savez(tmp_path / "evil.npz", arr_0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(GanbenchError, match="Python objects.*numpy.save"):
        load_labels(tmp_path / "evil.npz")
    (tmp_path / "labels.json").write_text("[0, 1, 2, 1]")
    assert load_labels(tmp_path / "labels.json").tolist() == [0, 1, 2, 1]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GanbenchError, match="not valid JSON"):
        load_labels(tmp_path / "bad.json")
    (tmp_path / "labels.txt").write_text("3\n4\n")
    assert load_labels(tmp_path / "labels.txt").tolist() == [3, 4]
    np.save(tmp_path / "f.npy", np.array([0.5, 1.0]))
    with pytest.raises(GanbenchError, match="not integer class labels"):
        load_labels(tmp_path / "f.npy")


def test_diagnose_refuses_pickled_labels_in_one_line(images, tmp_path):
    np.savez(tmp_path / "evil.npz", arr_0=np.array([{"a": 1}], dtype=object))
    r = run(
        "diagnose",
        images / "fakes.npy",
        "--ref",
        images / "reals.npy",
        "--labels",
        tmp_path / "evil.npz",
        "--ref-labels",
        tmp_path / "evil.npz",
    )
    one_line_error(r, "evil.npz", "Python objects")


# ---------------------------------------------------------------------------- 5: weights


class _Evil:
    def __reduce__(self):
        return (os.system, ("true",))


def test_weights_errors_say_what_the_file_is(tmp_path):
    torch.save({"x": _Evil()}, tmp_path / "evil.pth")
    (tmp_path / "page.pth").write_text("<html>404 Not Found</html>")
    for name, what in (("evil.pth", "holds Python objects besides tensors"), ("page.pth", "a text file")):
        with pytest.raises(GanbenchError) as e:
            W.load_state_dict(W.resolve_weights(tmp_path / name))
        msg = str(e.value)
        assert what in msg and "weights_only" not in msg and "Re-running" not in msg, msg
        assert W.OFFICIAL_URLS[0] in msg and W.OFFICIAL_URLS[1] in msg and "ganbench fetch inception" in msg


def test_offline_weights_error_names_both_urls_and_one_fix(monkeypatch):
    monkeypatch.delenv(W.ENV, raising=False)
    monkeypatch.setattr(W, "OFFICIAL_URLS", ("http://127.0.0.1:9/a.pth", "http://127.0.0.1:9/b.pth"))
    with pytest.raises(GanbenchError) as e:
        W.resolve_weights()
    msg = str(e.value)
    assert "ganbench fetch inception --from FILE" in msg and "place it at" not in msg, msg


def test_fetch_inception_imports_a_file_checked_by_sha256(inception_weights, monkeypatch, tmp_path):
    r = run("fetch", "inception", "--from", inception_weights)
    one_line_error(r, "not one of the official", "not imported")
    assert not W.cached_weights_path().exists()
    monkeypatch.setattr(W, "OFFICIAL_SHA256", cache.file_digest(inception_weights))
    r = run("fetch", "inception", "--from", inception_weights)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(W.cached_weights_path())
    monkeypatch.delenv(W.ENV, raising=False)
    assert W.resolve_weights().official  # found in the cache, and it is "the official" file now


# ------------------------------------------------------------------- 6, 7, 13: folder scan


def test_symlinked_folders_are_followed_once(tmp_path, cifar_excerpt):
    imgs = cifar_excerpt["test_images"]
    for i in range(5):
        save_png(tmp_path / "samples" / f"{i}.png", imgs[i])
    for i in range(30):
        save_png(tmp_path / "more" / f"{i:02d}.png", imgs[i])
    os.symlink(tmp_path / "more", tmp_path / "samples" / "linked")
    os.symlink(tmp_path / "samples", tmp_path / "samples" / "loop")  # back up the tree
    src = open_source(tmp_path / "samples")
    assert len(src) == 35
    assert any("already read" in n for n in src.notes), src.notes


def test_a_fifo_named_png_is_skipped_with_a_note_not_a_hang(tmp_path, cifar_excerpt):
    for i in range(3):
        save_png(tmp_path / f"{i}.png", cifar_excerpt["test_images"][i])
    os.mkfifo(tmp_path / "pipe.png")
    os.symlink(tmp_path / "gone.png", tmp_path / "dangling.png")
    signal.alarm(30)  # a hang fails the test instead of blocking the suite
    try:
        src = open_source(tmp_path)
        assert len(src) == 3 and src.read(range(3)).shape == (3, 32, 32, 3)
    finally:
        signal.alarm(0)
    assert any("2 image name(s) that are not regular files" in n for n in src.notes), src.notes


def test_jpeg_inputs_get_one_note(tmp_path, cifar_excerpt):
    for i in range(4):
        Image.fromarray(cifar_excerpt["test_images"][i]).save(tmp_path / f"{i}.{'jpg' if i % 2 else 'png'}", quality=75)
    notes = open_source(tmp_path).notes
    assert sum("JPEG" in n for n in notes) == 1 and any("2 JPEG file(s)" in n for n in notes), notes


# ---------------------------------------------------------------- 8: pytorch-fid statistics


def test_pytorch_fid_reference_is_warned_about_and_recorded_as_known(images, inception_weights, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3000, 2048)) * 0.1
    np.savez(tmp_path / "pfid_ref.npz", mu=a.mean(0), sigma=np.cov(a, rowvar=False))
    r = ganbench.evaluate(
        images / "fakes.npy", ref=tmp_path / "pfid_ref.npz", metrics=["fid"], weights=inception_weights
    )
    assert any("cannot check which extractor, weights and resize" in w for w in r.warnings), r.warnings
    ref = r.provenance["reference"]
    assert ref["count"] is None and ref["content_sha256"] is None
    assert ref["file_sha256"] == cache.file_digest(tmp_path / "pfid_ref.npz")
    assert "statistics only, count unknown" in r.table() and "(0)" not in r.table()


# -------------------------------------------------------------------------- 9: check first


def test_a_broken_sample_is_found_before_anything_is_extracted(images, tmp_path, inception_weights, monkeypatch):
    for i in range(3):
        save_png(tmp_path / "fakes" / f"{i}.png", np.full((32, 32, 3), 40 * i, np.uint8))
    data = (tmp_path / "fakes" / "1.png").read_bytes()
    (tmp_path / "fakes" / "1.png").write_bytes(data[: len(data) // 2])  # truncated
    monkeypatch.setattr("ganbench.features.pipeline.extract", lambda *a, **k: pytest.fail("extracted"))
    with pytest.raises(GanbenchError, match=r"cannot read image .*1\.png"):
        ganbench.evaluate(tmp_path / "fakes", ref=images / "reals", metrics=["fid"], weights=inception_weights)


# ------------------------------------------------------------------- 10, 11: files written


def test_stale_part_files_are_cleaned_on_the_next_write(tmp_path):
    dest = tmp_path / "x.npz"
    host = cache._host()
    dead = tmp_path / f".x.npz.ganbench-{host}-999999999-abcd.part"  # no such pid
    old = tmp_path / ".x.npz.ganbench-otherhost-1-efgh.part"
    fresh = tmp_path / ".x.npz.ganbench-otherhost-2-ijkl.part"  # another machine may be writing it
    foreign = tmp_path / ".x.npz.someone-else.part"
    for p in (dead, old, fresh, foreign):
        p.write_bytes(b"half")
    past = time.time() - 3 * 24 * 3600
    os.utime(old, (past, past))
    with cache.atomic_path(dest) as tmp:
        tmp.write_bytes(b"whole")
    assert dest.read_bytes() == b"whole"
    assert not dead.exists() and not old.exists()
    assert fresh.exists() and foreign.exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with cache.atomic_path(tmp_path / "f.json") as tmp:
            tmp.write_text("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == mode


# ----------------------------------------------------------------- 12: --key, stats as samples


def test_npz_key_option_and_stats_file_as_samples(images, inception_weights, tmp_path):
    np.savez(tmp_path / "two.npz", a=np.load(images / "reals.npy"), b=np.load(images / "fakes.npy"))
    r = run("eval", tmp_path / "two.npz", "--metrics", "is", "--is-splits", "2", "--weights", inception_weights)
    one_line_error(r, "--key")
    r = run(
        "eval",
        tmp_path / "two.npz",
        "--key",
        "b",
        "--ref",
        images / "fakes.npy",
        "--metrics",
        "precision",
        "--weights",
        inception_weights,
        "--json",
        "-",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["metrics"]["precision"]["value"] == 1.0  # the same images
    run("stats", images / "fakes.npy", "-o", tmp_path / "fakes.ganbench.npz", "--weights", inception_weights)
    rec = ganbench.evaluate(
        tmp_path / "fakes.ganbench.npz",
        ref=images / "fakes.npy",
        metrics=["fid", "is"],
        weights=inception_weights,
        is_splits=2,
    )
    assert rec["fid"] == pytest.approx(0.0, abs=1e-6)
    assert rec.provenance["samples"]["file_sha256"] == cache.file_digest(tmp_path / "fakes.ganbench.npz")


# ------------------------------------------------------------------------------ 14: records


def test_records_name_every_library_and_the_device_used(images, inception_weights, tmp_path):
    out = tmp_path / "s.npz"
    run("stats", images / "reals.npy", "-o", out, "--weights", inception_weights)
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
    assert "cache_file" not in meta and "cached" not in meta  # nothing about this machine's cache
    r = ganbench.evaluate(images / "fakes.npy", ref=out, metrics=["is"], weights=inception_weights, is_splits=2)
    p = r.provenance
    for lib in ("pillow", "scipy", "scikit_learn", "numpy", "torch"):
        assert p[lib], lib
    assert p["device"] == "cpu" and p["cuda"] is None


def test_diagnostics_json_has_a_schema_version_and_provenance(tmp_path):
    from ganbench.diagnose import diagnose_toy
    from ganbench.toydata import make, save_dataset

    pts, _ = make("ring", 500, 0)
    save_dataset(tmp_path / "ring.npy", pts, None)
    diagnose_toy("ring", tmp_path / "ring.npy", tmp_path / "rep")
    d = json.loads((tmp_path / "rep" / "diagnostics.json").read_text())
    assert d["ganbench_record"] == 2 and d["record_kind"] == "diagnose"
    env = d["environment"]
    for key in ("ganbench", "time_utc", "git_commit", "command", "pillow"):
        assert key in env, key


# ---------------------------------------------------------------------------- 15: warnings


def test_each_warning_is_printed_once(images, inception_weights):
    r = run("eval", images / "fakes", "--ref", images / "reals", "--metrics", "fid", "--weights", inception_weights)
    assert r.exit_code == 0, r.output
    assert "warning" not in r.stdout
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("ganbench: warning:")]
    assert len(lines) == len(set(lines)) >= 2  # NOT official, rank-deficient x2 sides is one message each
    assert any("NOT the official" in ln for ln in lines)


# ------------------------------------------------------------------------------ 16: report


def test_report_markers_point_the_right_way(monkeypatch):
    from matplotlib.axes import Axes

    from ganbench.diagnose import figures

    seen = {}
    real = Axes.scatter

    def spy(self, *a, **k):
        seen[k.get("label")] = k.get("marker")
        return real(self, *a, **k)

    monkeypatch.setattr(Axes, "scatter", spy)
    figures.bin_proportions(
        {
            "proportions_gen": [0.7, 0.1, 0.2],
            "proportions_ref": [0.3, 0.4, 0.3],
            "over_represented": [0],
            "under_represented": [1],
            "ndb": 2,
            "k": 3,
            "alpha": 0.05,
        }
    )
    assert seen["over-represented"] == "^" and seen["under-represented"] == "v"


def test_report_sections_say_none_warn_on_one_class_and_show_images(tmp_path, cifar_excerpt):
    from ganbench.diagnose import diagnose_features
    from ganbench.diagnose.html import table

    assert "none" in table([], ("a", "b"))
    rng = np.random.default_rng(0)
    ref_f = rng.normal(size=(200, 16)).astype(np.float32)
    gen_f = np.concatenate([rng.normal(size=(60, 16)), rng.normal(size=(40, 16)) * 0.2 + 2]).astype(np.float32)
    logits = np.zeros((100, 10), np.float32)
    logits[:, 3] = 5  # every sample in one class
    ref_logits = rng.normal(size=(200, 10)).astype(np.float32)
    res = diagnose_features(
        gen_f,
        ref_f,
        tmp_path / "rep",
        gen_logits=logits,
        ref_logits=ref_logits,
        gen_images=cifar_excerpt["test_images"][:100],
        ref_images=cifar_excerpt["train_images"][:200],
        k_bins=5,
    )
    assert any("falls in one class" in w for w in res["warnings"]), res["warnings"]
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "Generated samples" in page and "The first 64 of 100 samples" in page
    assert "Examples: samples in the over-represented bins" in page
    assert "time_utc" in page and "{&quot;" not in page  # provenance as rows, not raw JSON


def test_stacked_digits_report_draws_the_mode_histogram(tmp_path):
    from ganbench.diagnose import diagnose_toy
    from ganbench.toydata import make, save_dataset

    imgs, _ = make("stacked-digits", 300, 0)
    save_dataset(tmp_path / "sd.npy", imgs, None)
    diagnose_toy("stacked-digits", tmp_path / "sd.npy", tmp_path / "rep")
    page = (tmp_path / "rep" / "index.html").read_text()
    assert 'alt="samples per mode"' in page and "Generated samples" in page
    assert "mode_counts" not in page  # no list of 1,000 numbers


# ------------------------------------------------------------------------- 17: help and docs


def test_every_metric_option_has_help():
    out = run("eval", "--help").stdout
    for opt, words in (
        ("--confidence", "Level of"),
        ("--kid-subsets", "subsets averaged"),
        ("--kid-subset-size", "at least 10"),
        ("--is-splits", "splits"),
        ("--key", "multi-array"),
    ):
        assert opt in out and words in out, opt


def test_scoring_guide_says_kid_needs_1000_samples():
    from conftest import REPO

    text = (REPO / "docs" / "guides" / "scoring.md").read_text()
    assert "KID draws subsets of `--kid-subset-size` (1,000) images, so both sets need at least that many" in text


def test_fetch_accepts_the_extracted_folder_verifying_each_file(tmp_path, cifar_excerpt, monkeypatch):
    archive = tmp_path / "cifar-10-python.tar.gz"
    train, _, test, _ = build_cifar_archive(archive, cifar_excerpt)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "x", filter="data")  # our own archive
    folder = tmp_path / "x" / "cifar-10-batches-py"
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    arch = references.CIFAR10_ARCHIVE
    monkeypatch.setattr(arch, "member_md5", md5)
    monkeypatch.setattr(get_reference("cifar10-train"), "count", len(train))
    monkeypatch.setattr(get_reference("cifar10-test"), "count", len(test))
    good = (folder / "data_batch_3").read_bytes()
    (folder / "data_batch_3").write_bytes(good[:-1] + b"\x00")
    one_line_error(run("fetch", "cifar10", "--from", folder), "checksum mismatch", "data_batch_3")
    assert not (cache.home() / "datasets" / "decoded").exists()  # nothing half-imported
    (folder / "data_batch_3").write_bytes(good)
    r = run("fetch", "cifar10", "--from", tmp_path / "x")  # the folder above it works too
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(resolve_reference("cifar10-test", download=False).read(range(len(test))), test)
    assert len(resolve_reference("cifar10", download=False)) == len(train)


def test_write_samples_names_the_file_kinds_it_writes(tmp_path):
    from ganbench.errors import GanbenchError
    from ganbench.train.sampling import write_samples

    images = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(GanbenchError, match=r"x\.npy: samples are written to a \.npz file .* pass -o x\.npz"):
        write_samples(images, None, tmp_path / "x.npy")
    with pytest.raises(GanbenchError, match="2-D points are written to a .npz file"):
        write_samples(np.zeros((3, 2)), None, tmp_path / "pts")
    assert not list(tmp_path.iterdir())  # nothing half-written
    assert write_samples(images, None, tmp_path / "ok.npz").exists()


@pytest.mark.parametrize("unpaired", [False, True])
def test_labels_with_image_to_image_data_name_what_the_data_holds(unpaired):
    from ganbench.errors import GanbenchError
    from ganbench.train.data import open_data

    holds = "unpaired `a` and `b` images" if unpaired else "`inputs` and `targets`"
    with pytest.raises(GanbenchError, match=f"do not apply to image-to-image data: it holds {holds}; drop them"):
        open_data("x.npz", (3, 32, 32), labels="y.npy", paired=True, unpaired=unpaired)
