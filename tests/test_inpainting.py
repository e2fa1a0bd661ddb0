"""Inpainting (issue 27, section 4): `ganbench data inpainting` and its floors, the context-encoder baseline
(a step against Pathak et al.'s loss written out, resume after a kill), and the masked paired evaluation
against an independent computation on the hole (numpy PSNR, scikit-image's SSIM map, LPIPS of the
composite), FID/KID of the completed images."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

import ganbench
from ganbench.baselines import BASELINES
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.paired import evaluate_paired
from ganbench.toydata import inpainting
from ganbench.train import checkpoint, models
from ganbench.train.data import open_pairs
from ganbench.train.loop import Trainer
from ganbench.train.options import resolve

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
SMALL = {"arch": "pix2pix-small", "batch_size": 4, "g_batch_size": 4}

from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def data(cifar_excerpt, tmp_path_factory):
    """Centre-hole pairs of 16 training and 12 test images, and random-hole pairs, written by the CLI."""
    folder = tmp_path_factory.mktemp("inpaint")
    np.savez(
        folder / "src.npz",
        train_images=cifar_excerpt["train_images"][:16],
        test_images=cifar_excerpt["test_images"][:12],
    )
    for name, key, extra in (
        ("train", "train_images", ()),
        ("test", "test_images", ()),
        ("random", "train_images", ("--holes", "random", "--seed", "5")),
    ):
        r = _invoke(
            "data", "inpainting", "--source", folder / "src.npz", "--key", key, "-o", folder / f"{name}.npz", *extra
        )
        assert r.exit_code == 0, r.output
    return folder


def _load(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def test_centre_hole_fill_and_random_holes(data, cifar_excerpt):
    p = _load(data / "train.npz")
    x, y, m = p["inputs"], p["targets"], p["mask"]
    assert m.dtype == bool and m.shape == (16, 32, 32) and (y == cifar_excerpt["train_images"][:16]).all()
    # the 16x16 centre region (rows/cols 8..23) less its 1-pixel overlap border: rows/cols 9..22
    want = np.zeros((32, 32), bool)
    want[9:23, 9:23] = True
    assert (m == want).all()
    assert (x[m] == [117, 104, 123]).all()  # train.lua's 2*117/255-1, 2*104/255-1, 2*123/255-1
    assert (x[~m] == y[~m]).all()  # the overlap border and everything else stay context
    r = _load(data / "random.npz")["mask"]
    again = _invoke(
        "data",
        "inpainting",
        "--source",
        data / "src.npz",
        "--key",
        "train_images",
        "--holes",
        "random",
        "--seed",
        "5",
        "-o",
        data / "again.npz",
    )
    assert again.exit_code == 0 and (_load(data / "again.npz")["mask"] == r).all()  # seeded
    other = _invoke(
        "data",
        "inpainting",
        "--source",
        data / "src.npz",
        "--key",
        "train_images",
        "--holes",
        "random",
        "--seed",
        "6",
        "-o",
        data / "other.npz",
    )
    assert other.exit_code == 0 and not (_load(data / "other.npz")["mask"] == r).all()
    for hole in r:  # one rectangle each, sides 8..16 less the 2 border pixels
        rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
        assert hole.sum() == len(rows) * len(cols) and 6 <= len(rows) <= 14 and 6 <= len(cols) <= 14
        assert (np.diff(rows) == 1).all() and (np.diff(cols) == 1).all()


def _bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))


def test_one_step_equals_the_context_encoder_loss_written_out(data):
    """Pathak et al.'s G loss at 32x32: 0.001 BCE + 0.999 x the MSE over the 16x16 region, the 1-pixel
    border's squared errors weighted 10 (train.lua's wtl2Matrix); D on the completed image."""
    cfg = resolve(BASELINES.get("context-encoder")["train"], {**SMALL, "data": str(data / "train.npz")})
    tdata = open_pairs(data / "train.npz", (3, 32, 32))
    trainer = Trainer(cfg, tdata, 3)
    stats = trainer.train_step()
    G, D, _ = models.networks(cfg, 3)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x, y = tdata.pairs(3, 0, 4)
    fake = G(x)
    completed = y.clone()
    completed[:, :, 8:24, 8:24] = fake[:, :, 8:24, 8:24]
    loss_d = 0.5 * (_bce(D(torch.cat([x, completed.detach()], 1)), 0) + _bce(D(torch.cat([x, y], 1)), 1))
    opt_d.zero_grad(), loss_d.backward(), opt_d.step()
    D.requires_grad_(False)
    w = torch.full((32, 32), 10.0)
    w[9:23, 9:23] = 1.0
    sq = (fake - y)[:, :, 8:24, 8:24] ** 2 * w[8:24, 8:24]
    l2 = sq.sum() / sq.numel()
    loss_g = 0.001 * _bce(D(torch.cat([x, completed], 1)), 1) + 0.999 * l2
    opt_g.zero_grad(), loss_g.backward(), opt_g.step()
    assert stats["loss_d"] == pytest.approx(float(loss_d.detach()), abs=1e-6)
    assert stats["l2"] == pytest.approx(float(l2.detach()), rel=1e-6)
    assert stats["loss_g"] == pytest.approx(float(loss_g.detach()), rel=1e-6)
    for mine, ref in ((trainer.nets.G, G), (trainer.nets.D, D)):
        a, b = mine.state_dict(), ref.state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), k  # bit for bit on CPU


def test_context_encoder_trains_and_resumes_after_a_kill_to_identical_weights(data, tmp_path):
    kw = dict(data=data / "random.npz", steps=2, set=SMALL, checkpoint_every=1, progress=False)
    ganbench.train("context-encoder", out=tmp_path / "full", **kw)
    ganbench.train("context-encoder", out=tmp_path / "cut", **kw)
    checkpoint.path_for(tmp_path / "cut", 2).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 1, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    meta = json.loads((tmp_path / "full" / "run.json").read_text())
    assert meta["config"]["recon"] == "l2-masked" and meta["config"]["adv_weight"] == 0.001
    assert meta["data"]["masked"] is True
    log = [json.loads(x) for x in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["kind"] == "train"] == [1, 2]
    assert all(np.isfinite(r["l2"]) for r in log if r["kind"] == "train")


def _outputs(data):
    """Deterministic 'outputs': the targets plus noise everywhere (inside and outside the hole)."""
    p = _load(data / "test.npz")
    noise = np.random.default_rng(0).integers(-40, 41, size=p["targets"].shape)
    return np.clip(p["targets"].astype(int) + noise, 0, 255).astype(np.uint8), p


def test_masked_metrics_equal_an_independent_computation_on_the_hole(data):
    from skimage.metrics import structural_similarity

    out, p = _outputs(data)
    y, m = p["targets"], p["mask"]
    res = evaluate_paired(out, data / "test.npz", target_key="targets", lpips_weights="random", mask=data / "test.npz")
    per = {n: np.array(res.metrics[n].extra["per_pair"]) for n in ("psnr", "ssim", "lpips")}
    done = np.where(m[..., None], out, y)
    for i in range(len(y)):
        d = (out[i].astype(float) - y[i].astype(float))[m[i]]
        assert per["psnr"][i] == pytest.approx(10 * np.log10(255.0**2 / np.mean(d**2)), abs=1e-10)
        _, smap = structural_similarity(
            y[i],
            done[i],
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255,
            channel_axis=-1,
            full=True,
        )
        assert per["ssim"][i] == pytest.approx(smap[m[i]].mean(), abs=1e-10)
    r = _load(data / "random.npz")  # holes near the border: the SSIM map there sees the mirrored image
    near = np.random.default_rng(1).integers(0, 256, size=r["targets"].shape).astype(np.uint8)
    got = evaluate_paired(near, data / "random.npz", ["psnr", "ssim"]).metrics
    done_r = np.where(r["mask"][..., None], near, r["targets"])
    assert min(np.flatnonzero(h.any(0)).min() for h in r["mask"]) < 5  # some hole within a window of the edge
    for i in range(len(near)):
        _, smap = structural_similarity(
            r["targets"][i],
            done_r[i],
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255,
            channel_axis=-1,
            full=True,
        )
        assert got["ssim"].extra["per_pair"][i] == pytest.approx(smap[r["mask"][i]].mean(), abs=1e-10)
        d = (near[i].astype(float) - r["targets"][i].astype(float))[r["mask"][i]]
        assert got["psnr"].extra["per_pair"][i] == pytest.approx(10 * np.log10(255.0**2 / np.mean(d**2)), abs=1e-10)
    plain = evaluate_paired(done, y, ["lpips"], lpips_weights="random")  # LPIPS itself is checked against lpips
    assert np.allclose(per["lpips"], plain.metrics["lpips"].extra["per_pair"], atol=1e-6)
    # the pairs' own mask is found without --mask, and a different output outside the hole changes nothing
    outside = np.where(m[..., None], out, 255 - y)
    again = evaluate_paired(outside, data / "test.npz", ["psnr", "ssim"])
    assert again.metrics["psnr"].extra["per_pair"] == list(per["psnr"])
    assert again.metrics["ssim"].extra["per_pair"] == list(per["ssim"])
    assert res.provenance["mask"]["hole_pixels_mean"] == 196.0 and "hole" in res.metrics["psnr"].extra["masked"]


def test_fid_of_inpainting_scores_the_completed_images(data, monkeypatch):
    import ganbench.engine

    out, p = _outputs(data)
    seen = {}

    def spy(samples, ref, metrics, **kw):
        seen.update(samples=samples, ref=ref, metrics=metrics, ref_key=kw.get("ref_key"))
        raise RuntimeError("stop")

    monkeypatch.setattr(ganbench.engine, "evaluate", spy)
    with pytest.raises(RuntimeError, match="stop"):
        evaluate_paired(out, data / "test.npz", ["psnr", "fid"])
    want = np.where(p["mask"][..., None], out, p["inputs"])  # the input outside the hole, the output inside
    assert np.array_equal(seen["samples"], want) and seen["metrics"] == ["fid"] and seen["ref_key"] == "targets"


def test_floors_are_written_and_scored(data):
    r = _invoke("data", "inpainting-floor", "--source", data / "test.npz", "--fill", "identity", "-o", data / "id.npz")
    assert r.exit_code == 0, r.output
    r = _invoke(
        "data",
        "inpainting-floor",
        "--source",
        data / "test.npz",
        "--fill",
        "mean",
        "--train",
        data / "train.npz",
        "-o",
        data / "mean.npz",
    )
    assert r.exit_code == 0, r.output
    p, train = _load(data / "test.npz"), _load(data / "train.npz")
    ident, mean = _load(data / "id.npz")["arr_0"], _load(data / "mean.npz")["arr_0"]
    m = p["mask"]
    assert (ident == p["inputs"]).all()
    colour = np.rint(train["targets"].reshape(-1, 3).mean(0))
    assert (mean[m] == colour).all() and (mean[~m] == p["inputs"][~m]).all()
    # the same from Python, without the CLI (toydata/inpainting.py holds the task)
    assert np.array_equal(inpainting.floor_of_files(data / "test.npz", "mean", data / "train.npz"), mean)
    r = _invoke("eval", data / "mean.npz", "--target", data / "test.npz", "--metrics", "psnr", "--json", "-")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output[r.output.index("{") :])
    d = mean.astype(float) - p["targets"].astype(float)
    want = [10 * np.log10(255.0**2 / np.mean(d[i][m[i]] ** 2)) for i in range(len(d))]
    assert np.allclose(rec["metrics"]["psnr"]["extra"]["per_pair"], want, atol=1e-10)
    assert rec["provenance"]["mask"]["from"] == str(data / "test.npz")


def test_errors_are_one_line(data, tmp_path):
    out, p = _outputs(data)
    np.save(tmp_path / "o.npy", out)
    np.save(tmp_path / "bad.npy", p["mask"][:, :16])
    cases = [
        (
            (
                "eval",
                tmp_path / "o.npy",
                "--target",
                data / "test.npz",
                "--target-key",
                "targets",
                "--mask",
                tmp_path / "bad.npy",
                "--metrics",
                "psnr",
            ),
            "the mask needs shape (12, 32, 32)",
        ),
        (
            (
                "eval",
                tmp_path / "o.npy",
                "--target",
                data / "test.npz",
                "--target-key",
                "targets",
                "--mask",
                data / "src.npz",
                "--metrics",
                "psnr",
            ),
            "has no `mask` array",
        ),
        (("eval", tmp_path / "o.npy", "--mask", data / "test.npz"), "add --target"),
        (
            ("data", "inpainting-floor", "--source", data / "test.npz", "--fill", "mean", "-o", tmp_path / "m.npz"),
            "add --train",
        ),
        (
            ("data", "inpainting-floor", "--source", data / "src.npz", "--fill", "identity", "-o", tmp_path / "i.npz"),
            "has no `inputs` array",
        ),
        (
            ("eval", tmp_path / "o.npy", "--target", data / "test.npz", "-O", "paired_crop=2", "--metrics", "psnr"),
            "leave the border crop out",
        ),
    ]
    for args, text in cases:
        r = _invoke(*args)
        assert r.exit_code == 2 and text in r.output and len(r.output.strip().splitlines()) == 1, r.output
    np.savez(tmp_path / "plain.npz", inputs=p["inputs"], targets=p["targets"])  # no mask: colorize-like pairs
    with pytest.raises(GanbenchError, match="holds no `mask`"):
        ganbench.train(
            "context-encoder", out=tmp_path / "r", data=tmp_path / "plain.npz", steps=1, set=SMALL, progress=False
        )
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_html_report_of_a_masked_evaluation_shows_the_completed_outputs(data, tmp_path, monkeypatch):
    from ganbench.diagnose import pairs as report

    out, p = _outputs(data)
    np.save(tmp_path / "o.npy", out)
    shown = []
    real_thumbnails = report.thumbnails

    def spy(images, indices):
        if isinstance(images, np.ndarray):
            shown.append(images.copy())
        return real_thumbnails(images, indices)

    monkeypatch.setattr(report, "thumbnails", spy)
    r = _invoke(
        "eval", tmp_path / "o.npy", "--target", data / "test.npz", "--metrics", "psnr", "--html", tmp_path / "r.html"
    )
    assert r.exit_code == 0, r.output
    page = (tmp_path / "r.html").read_text()
    assert "output, completed (input outside the hole)" in page
    (completed,) = shown  # the worst pairs' outputs, as scored: the output in the hole, the input around it
    m = p["mask"]
    assert completed.shape[1:] == out.shape[1:]
    for im in completed:  # each equals some pair's composite, never a raw noisy output
        i = next(i for i in range(len(out)) if np.array_equal(im[m[i]], out[i][m[i]]))
        assert np.array_equal(im[~m[i]], p["inputs"][i][~m[i]])
        assert not np.array_equal(im, out[i])
