"""`ganbench data edges` (issue 23, edges-to-photo): ganbench's numpy/scipy Canny equals scikit-image's
feature.canny pixel for pixel, the data command writes black-on-white edge inputs beside the colour targets,
pix2pix trains on them, and bad input is a one-line error."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import ganbench
from ganbench.cli import cli
from ganbench.toydata import edges
from ganbench.toydata.paired import greyscale

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
SMALL = {"arch": "pix2pix-small", "batch_size": 4, "g_batch_size": 4}  # test_pix2pix.py's tiny settings


def _shapes():
    """Synthetic grey images on [0, 1]: a noisy square, a disc, a ramp, a flat image, a non-square one."""
    rng = np.random.default_rng(0)
    square = np.zeros((40, 40))
    square[10:-10, 10:-10] = 1
    yy, xx = np.mgrid[:33, :33]
    disc = ((yy - 16) ** 2 + (xx - 14) ** 2 < 100).astype(float)
    return [square + 0.2 * rng.random(square.shape), disc, xx / 32.0, np.full((8, 8), 0.5), rng.random((17, 29))]


@pytest.mark.parametrize(
    "sigma, low, high", [(edges.SIGMA, edges.LOW, edges.HIGH), (1.0, 0.1, 0.2), (0.5, 0.4, 0.8), (2.0, 0.0, 0.3)]
)
def test_canny_equals_scikit_image(cifar_excerpt, sigma, low, high):
    from skimage.feature import canny

    grey = greyscale(cifar_excerpt["train_images"][:100])[..., 0] / 255.0
    images = list(grey) + _shapes()
    ours = np.stack([edges.canny(g, sigma, low, high) for g in grey])
    theirs = np.stack([canny(g, sigma, low, high) for g in grey])
    assert ours.dtype == bool and 0.02 < ours.mean() < 0.5  # neither blank nor all edges
    assert (ours == theirs).all()
    for g in images[100:]:
        assert (edges.canny(g, sigma, low, high) == canny(g, sigma, low, high)).all()


def test_edges_data_command(cifar_excerpt, tmp_path):
    from skimage.feature import canny

    images = cifar_excerpt["train_images"][:16]
    np.savez(tmp_path / "src.npz", train_images=images)
    out = tmp_path / "edges.npz"
    r = CliRunner().invoke(
        cli,
        [
            "data",
            "edges",
            "--source",
            str(tmp_path / "src.npz"),
            "--key",
            "train_images",
            "-n",
            "12",
            "--sigma",
            "1.5",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "wrote 12 edges pairs" in r.output and "sigma 1.5" in r.output
    with np.load(out) as z:
        assert sorted(z.files) == ["inputs", "targets"]
        x, y = z["inputs"], z["targets"]
    assert x.shape == y.shape == (12, 32, 32, 3) and x.dtype == y.dtype == np.uint8
    assert (y == images[:12]).all()
    assert set(np.unique(x)) == {0, 255} and (x == x[..., :1]).all()  # black and white, the same in 3 channels
    for k in range(12):  # black where scikit-image's Canny of the BT.601 luma finds an edge
        g = greyscale(images[k : k + 1])[0, ..., 0] / 255.0
        assert ((x[k, ..., 0] == 0) == canny(g, 1.5, edges.LOW, edges.HIGH)).all()


def test_pix2pix_trains_on_edges(cifar_excerpt, tmp_path):
    np.savez(tmp_path / "src.npz", images=cifar_excerpt["train_images"][:16])
    pairs = tmp_path / "edges.npz"
    r = CliRunner().invoke(cli, ["data", "edges", "--source", str(tmp_path / "src.npz"), "-o", str(pairs)])
    assert r.exit_code == 0, r.output
    run = tmp_path / "p2p"
    ganbench.train("pix2pix", out=run, data=pairs, steps=2, set=SMALL, progress=False)
    meta = json.loads((run / "run.json").read_text())
    assert meta["data"]["kind"] == "pairs" and meta["data"]["count"] == 16
    log = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in log if r["kind"] == "train"]
    assert len(train) == 2 and all(np.isfinite(r["loss_d"]) and np.isfinite(r["l1"]) for r in train)


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "{tmp}/e.npz"], "edges needs colour images: add --source"),
        (["--source", "{src}"], "no output file: add -o edges.npz"),
        (["--source", "{src}", "--sigma", "0", "-o", "{tmp}/e.npz"], "--sigma 0.0"),
        (["--source", "{src}", "-o", "{tmp}/e.txt"], ".npz"),
    ],
)
def test_edges_errors_are_one_line(cifar_excerpt, tmp_path, args, message):
    src = tmp_path / "src.npy"
    np.save(src, cifar_excerpt["train_images"][:4])
    r = CliRunner().invoke(cli, ["data", "edges", *[a.format(tmp=tmp_path, src=src) for a in args]])
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: ") and message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.npy"]  # nothing written
    r = CliRunner().invoke(
        cli, ["data", "colorize", "--source", str(src), "--sigma", "1", "-o", str(tmp_path / "c.npz")]
    )
    assert r.exit_code == 2 and "--sigma sets the Canny smoothing of `ganbench data edges`" in r.stderr
