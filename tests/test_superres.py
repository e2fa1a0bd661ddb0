"""SRResNet / SRGAN end to end on CPU (issue 23, super-resolution): `ganbench data sr` and its bicubic
convention against torch's antialiased bicubic, the bicubic floor's PSNR against an independent
computation, the networks' parameter counts against the reference's (benchmarks/reference/srgan_fixture.py),
one SRGAN step against the reference's update written out, a few training steps, kill/resume to
identical weights, init from an SRResNet run, and outputs of `ganbench sample --input` scored by the paired eval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

import ganbench
from ganbench.baselines import ARCHITECTURES, BASELINES, count_params
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.toydata import superres
from ganbench.train import checkpoint, models, vgg
from ganbench.train.data import open_pairs
from ganbench.train.loop import Trainer
from ganbench.train.options import resolve

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
ROOT = Path(__file__).resolve().parents[1]
SMALL = {"arch": "srresnet-small-x2", "batch_size": 4, "g_batch_size": 4}
SRGAN = {**SMALL, "vgg_weights": "random"}

from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    """16 x2 training pairs (32x32 crops), the held-out test pairs and their bicubic floor, by the CLI."""
    folder = tmp_path_factory.mktemp("sr")
    r = CliRunner().invoke(cli, ["data", "sr", "--scale", "2", "-n", "16", "-o", str(folder / "sr_x2.npz")])
    assert r.exit_code == 0, r.output
    return folder


@pytest.fixture(scope="module")
def run(task, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "srresnet"
    ganbench.train("srresnet", out=out, data=task / "sr_x2.npz", steps=2, set=SMALL, progress=False)
    return out


def _psnr_y(a, b, crop):
    """PSNR on BT.601 Y with a border crop, per pair, written out independently of ganbench.metrics."""

    def y(x):
        x = x.astype(np.float64)[:, crop:-crop, crop:-crop]
        return 16 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255

    mse = ((y(a) - y(b)) ** 2).reshape(len(a), -1).mean(1)
    return 10 * np.log10(255.0**2 / mse)


def test_data_sr_writes_the_task(task):
    with np.load(task / "sr_x2.npz") as z:
        x, y = z["inputs"], z["targets"]
    assert x.shape == (16, 16, 16, 3) and y.shape == (16, 32, 32, 3) and x.dtype == y.dtype == np.uint8
    assert np.array_equal(x, superres.downsample(y, 2))  # each input is its own crop downsampled
    with np.load(task / "sr_x2-test.npz") as z, np.load(task / "sr_x2-bicubic.npz") as f:
        assert list(z["names"]) == ["chelsea", "coffee", "motorcycle_left"]
        assert z["inputs"].shape == (3, 128, 128, 3) and z["targets"].shape == (3, 256, 256, 3)
        assert np.array_equal(f["arr_0"], superres.upsample(z["inputs"], 2))
    from skimage import data

    c = data.chelsea()  # the held-out crop is the photograph's centre, nothing of it in training
    with np.load(task / "sr_x2-test.npz") as z:
        assert np.array_equal(z["targets"][0], c[22:278, 97:353])
    for args, msg in (
        (["--scale", "3"], "scales 2 and 4"),
        ([], "--scale 2 or --scale 4"),
        (["--scale", "4", "--crop", "30"], "multiple of the scale 4"),
    ):
        r = CliRunner().invoke(cli, ["data", "sr", *args, "-o", str(task / "bad.npz")])
        assert r.exit_code == 2 and msg in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (task / "bad.npz").exists()


@pytest.mark.parametrize("scale", [2, 4])
def test_bicubic_is_matlabs_kernel(task, scale):
    """The same resampling as torch's antialiased bicubic (Keys a = -0.5 with antialiasing, pixel centres:
    MATLAB imresize's), an independent implementation: downsampling equal, upsampling equal up to a
    rounding tie (+-1 on at most 1e-4 of the values)."""
    with np.load(task / "sr_x2-test.npz") as z:
        hr = z["targets"]

    def torch_bicubic(a, factor):
        t = torch.from_numpy(a).permute(0, 3, 1, 2).double()
        t = F.interpolate(t, scale_factor=factor, mode="bicubic", antialias=True, align_corners=False)
        return t.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()

    lr = superres.downsample(hr, scale)
    assert np.array_equal(lr, torch_bicubic(hr, 1 / scale))
    d = np.abs(superres.upsample(lr, scale).astype(int) - torch_bicubic(lr, scale).astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 1e-4


def test_bicubic_floor_psnr_equals_an_independent_computation(task):
    with np.load(task / "sr_x2-test.npz") as z, np.load(task / "sr_x2-bicubic.npz") as f:
        hr, floor = z["targets"], f["arr_0"]
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(task / "sr_x2-bicubic.npz"),
            "--target",
            str(task / "sr_x2-test.npz"),
            "--target-key",
            "targets",
            "--metrics",
            "psnr",
            "-O",
            "paired_channel=y",
            "-O",
            "paired_crop=2",
            "--json",
            "-",
        ],
    )
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output[r.output.index("{") :])
    value = (
        next(m for m in rec["metrics"] if m["name"] == "psnr")["value"]
        if isinstance(rec["metrics"], list)
        else rec["metrics"]["psnr"]["value"]
    )
    mine = _psnr_y(floor, hr, 2)
    assert value == pytest.approx(mine.mean(), abs=1e-9)
    assert 25 < value < 40  # a real floor: far from identical, far from noise


def test_parameter_counts_equal_the_reference():
    ref = json.loads((ROOT / "benchmarks" / "results" / "srgan_reference.json").read_text())
    for scale in (2, 4):
        G, D = ARCHITECTURES.get(f"srresnet-x{scale}").build(128)
        assert count_params(G) == ref["G"][f"x{scale}"]["reference_params"]
        assert ref["G"][f"x{scale}"]["max_abs_diff"] == {"eval": 0.0, "train": 0.0}
        assert count_params(D) == ref["D"]["reference_params"] == 23565505
    assert (ref["G"]["x2"]["reference_params"], ref["G"]["x4"]["reference_params"]) == (1401749, 1549462)
    assert BASELINES.get("srgan")["source"]["params"] == {"G": 1549462, "D": 23565505}
    assert BASELINES.get("srresnet")["source"]["params"]["G"] == 1549462
    G, _ = ARCHITECTURES.get("srresnet-x4").build(128)
    assert G(torch.zeros(1, 3, 8, 12)).shape == (1, 3, 32, 48)  # fully convolutional, x4


def test_one_srgan_step_equals_the_reference_update(task):
    """train_srgan.py's step written out: G on content (VGG54 MSE, features / 12.75) + 1e-3 BCE(D(fake), 1),
    then D on the same detached fake and the real images, BCE summed; Adam(1e-4, (0.9, 0.999))."""
    cfg = resolve(BASELINES.get("srgan")["train"], {**SRGAN, "data": str(task / "sr_x2.npz")})
    data = open_pairs(task / "sr_x2.npz", (3, 32, 32), scale=2)
    trainer = Trainer(cfg, data, 5)
    stats = trainer.train_step()
    G, D, _ = models.networks(cfg, 5)
    net, info = vgg.load("random")
    assert info["official"] is False
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.9, 0.999))
    x, y = data.pairs(5, 0, 4)

    def phi(t):
        m, s = torch.tensor(vgg.MEAN).view(1, 3, 1, 1), torch.tensor(vgg.STD).view(1, 3, 1, 1)
        return net(((t + 1) / 2 - m) / s) * (1 / 12.75)  # the paper's rescaling of the feature maps

    fake = G(x)
    D.requires_grad_(False)
    bce = F.binary_cross_entropy_with_logits
    out = D(fake)
    loss_g = F.mse_loss(phi(fake), phi(y)) + 1e-3 * bce(out, torch.ones_like(out))
    opt_g.zero_grad(), loss_g.backward(), opt_g.step()
    D.requires_grad_(True)
    of, orl = D(fake.detach()), D(y)
    loss_d = bce(of, torch.zeros_like(of)) + bce(orl, torch.ones_like(orl))
    opt_d.zero_grad(), loss_d.backward(), opt_d.step()
    assert stats["loss_g"] == pytest.approx(float(loss_g.detach()), abs=1e-6)
    assert stats["loss_d"] == pytest.approx(float(loss_d.detach()), abs=1e-6)
    for mine, ref in ((trainer.nets.G, G), (trainer.nets.D, D)):
        a, b = mine.state_dict(), ref.state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), k  # bit for bit on CPU


def test_srresnet_trains_on_mse_alone(run):
    meta = json.loads((run / "run.json").read_text())
    assert meta["config"]["objective"] == "superres" and meta["config"]["adv_weight"] == 0.0
    assert "objective" not in meta  # no VGG: nothing beyond the options to state
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in log if r["kind"] == "train"]
    assert len(train) == 2 and all(r["loss_g"] == r["mse"] and "loss_d" not in r for r in train)
    assert not any(k.startswith("D.") for k in _tensors(run))  # SRResNet has no discriminator


def test_srgan_resumes_after_a_kill_to_identical_weights(task, run, tmp_path):
    kw = dict(data=task / "sr_x2.npz", steps=2, set={**SRGAN, "init_g": str(run)}, checkpoint_every=1, progress=False)
    ganbench.train("srgan", out=tmp_path / "full", **kw)
    ganbench.train("srgan", out=tmp_path / "cut", **kw)
    checkpoint.path_for(tmp_path / "cut", 2).unlink()  # as if killed after step 1's checkpoint
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 1, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    meta = json.loads((tmp_path / "full" / "run.json").read_text())
    assert meta["objective"]["vgg19"] == {"weights": "random", "sha256": "", "official": False}  # NOT official


def test_srgan_starts_from_the_srresnet_run(task, run):
    cfg = resolve(BASELINES.get("srgan")["train"], {**SRGAN, "init_g": str(run), "data": str(task / "sr_x2.npz")})
    G = models.build(cfg, 9).G
    src = {k[2:]: v for k, v in _tensors(run).items() if k.startswith("G.")}
    assert all(torch.equal(v, src[k]) for k, v in G.state_dict().items())
    bad = resolve(BASELINES.get("srgan")["train"], {**SRGAN, "arch": "srresnet-small-x4", "init_g": str(run)})
    with pytest.raises(GanbenchError, match="that run trained srresnet-small-x2"):
        models.build(bad, 9)


def test_outputs_of_any_size_are_scored_by_the_paired_eval(task, run, tmp_path):
    r = CliRunner().invoke(
        cli, ["sample", str(run), "--input", str(task / "sr_x2-test.npz"), "-o", str(tmp_path / "o.npz")]
    )
    assert r.exit_code == 0, r.output
    with np.load(tmp_path / "o.npz") as z, np.load(task / "sr_x2-test.npz") as t:
        out, hr = z["arr_0"], t["targets"]
    assert out.shape == hr.shape == (3, 256, 256, 3)  # 128x128 inputs, x2
    res = ganbench.evaluate_paired(
        tmp_path / "o.npz", task / "sr_x2-test.npz", ["psnr"], target_key="targets", paired_channel="y", paired_crop=2
    )
    assert res.metrics["psnr"].value == pytest.approx(_psnr_y(out, hr, 2).mean(), abs=1e-9)


def test_super_resolution_errors_are_one_line(task, tmp_path):
    r = CliRunner().invoke(
        cli, ["train", "srresnet", "--data", str(task / "sr_x2.npz"), "--steps", "1", "--out", str(tmp_path / "r")]
    )  # x4 model, x2 data
    assert r.exit_code == 2 and "its inputs are 16x16 but the model takes 8x8" in r.output
    assert len(r.output.strip().splitlines()) == 1
    with pytest.raises(GanbenchError, match="superres trains a super-resolution architecture"):
        models.build(resolve(BASELINES.get("srresnet")["train"], {"arch": "pix2pix-small"}), 0)
    with pytest.raises(GanbenchError, match="no such file"):
        ganbench.train(
            "srgan",
            out=tmp_path / "v",
            data=task / "sr_x2.npz",
            steps=1,
            progress=False,
            set={**SMALL, "vgg_weights": str(tmp_path / "missing.pth")},
        )
