"""`ganbench data`: seeded files that round-trip, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench import toydata
from ganbench.cli import cli


def run(*args):
    return CliRunner().invoke(cli, ["data", *map(str, args)])


def test_ring_npy_round_trips(tmp_path):
    out = tmp_path / "ring.npy"
    r = run("ring", "-n", 1000, "-o", out, "--seed", 3)
    assert r.exit_code == 0, r.output
    pts = np.load(out)
    assert pts.shape == (1000, 2) and pts.dtype == np.float64
    assert np.array_equal(pts, toydata.make("ring", 1000, seed=3)[0])
    assert toydata.score("ring", out)["modes_covered"] == 8
    assert [p.name for p in tmp_path.iterdir()] == ["ring.npy"]  # no temporary file left


def test_seed_changes_output_and_default_n(tmp_path):
    assert run("grid", "-o", tmp_path / "a.npy").exit_code == 0
    assert run("grid", "-o", tmp_path / "b.npy", "--seed", 0).exit_code == 0
    assert run("grid", "-o", tmp_path / "c.npy", "--seed", 1).exit_code == 0
    a, b, c = (np.load(tmp_path / f"{k}.npy") for k in "abc")
    assert a.shape == (2500, 2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_grid_npz_keeps_labels(tmp_path):
    out = tmp_path / "grid.npz"
    assert run("grid", "-n", 300, "-o", out).exit_code == 0
    with np.load(out) as z:
        pts, labels = z["arr_0"], z["labels"]
    centres = toydata.mixtures.MIXTURES["grid"].centres
    assert np.abs(pts - centres[labels]).max() < 0.05 * 6


def test_stacked_digits_npz_and_npy(tmp_path):
    r = run("stacked-digits", "-n", 2600, "-o", tmp_path / "s.npz", "--seed", 7)
    assert r.exit_code == 0, r.output
    with np.load(tmp_path / "s.npz") as z:
        images, labels = z["arr_0"], z["labels"]
    assert images.shape == (2600, 8, 8, 3) and images.dtype == np.uint8
    assert labels.shape == (2600,) and labels.min() >= 0 and labels.max() <= 999
    assert run("stacked-digits", "-n", 2600, "-o", tmp_path / "s.npy", "--seed", 7).exit_code == 0
    assert np.array_equal(np.load(tmp_path / "s.npy"), images)
    assert toydata.score("stacked-digits", tmp_path / "s.npz")["modes_hit"] > 900


def test_list():
    r = run("--list")
    assert r.exit_code == 0
    assert [line.split()[0] for line in r.output.splitlines()] == ["grid", "ring", "stacked-digits", "swissroll"]


def _bad_parent(tmp_path):
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "out.npy"  # a parent that is a file: unwritable even as root


@pytest.mark.parametrize(
    "args, message",
    [
        (["rings", "-o", "{tmp}/x.npy"], "known benchmarks are grid, ring, stacked-digits, swissroll"),
        (["ring", "-n", "0", "-o", "{tmp}/x.npy"], "positive integer"),
        (["ring", "-n", "-5", "-o", "{tmp}/x.npy"], "positive integer"),
        (["ring", "-o", "{tmp}/x.txt"], ".npy or .npz"),
        (["ring", "-o", "{bad}"], "cannot write"),
        (["ring", "-o", "{tmp}"], "it is a folder"),
        (["ring"], "no output file"),
        ([], "grid, ring, stacked-digits, swissroll"),
        (["ring", "-o", "{tmp}/x.npy", "--seed", "-1"], "seed"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    bad = _bad_parent(tmp_path)
    r = run(*[a.format(tmp=tmp_path, bad=bad) for a in args])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: ") and message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing written
