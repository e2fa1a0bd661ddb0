"""Paired evaluation (`ganbench eval OUTPUTS --target TARGETS`): psnr and ssim against scikit-image,
lpips against the lpips package on the same (random) backbone weights, known answers, the record, and
one-line errors for pairs that do not match."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import ganbench
import ganbench.errors
from ganbench.cli import cli
from ganbench.metrics import psnr, ssim

pytestmark = pytest.mark.usefixtures("one_thread")
N = 12
TOL = 1e-10  # PSNR (dB) and SSIM against scikit-image: both float64; measured ~1e-14
LPIPS_TOL = 1e-6  # against lpips.LPIPS, float32 networks; measured ~2e-8


@pytest.fixture(scope="module")
def images(cifar_excerpt):
    targets = cifar_excerpt["test_images"][:N]
    noise = np.random.default_rng(0).integers(-25, 26, targets.shape)
    outputs = np.clip(targets.astype(int) + noise, 0, 255).astype(np.uint8)
    return outputs, targets


def write_folder(root: Path, images, names=None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(root / (names[i] if names else f"{i:03d}.png"))
    return root


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def fails(result, *words):
    """Exit 2, one `ganbench: error:` line naming `words`, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------ agreement


@pytest.mark.parametrize("channel,crop", [("rgb", 0), ("rgb", 3), ("y", 0), ("y", 4)])
def test_psnr_ssim_agree_with_scikit_image(images, channel, crop):
    from skimage.color import rgb2ycbcr
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    outputs, targets = images
    opts = {"paired_channel": channel, "paired_crop": crop}
    ours_p, ours_s = psnr.per_pair(outputs, targets, opts), ssim.per_pair(outputs, targets, opts)
    for i, (a, b) in enumerate(zip(outputs, targets)):
        if crop:
            a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
        if channel == "y":  # skimage's BT.601 Y: 16 + 65.481 R + 128.553 G + 24.966 B on [0, 1]
            a, b, kw = rgb2ycbcr(a)[..., 0], rgb2ycbcr(b)[..., 0], {}
        else:
            a, b, kw = a.astype(np.float64), b.astype(np.float64), {"channel_axis": -1}
        assert ours_p[i] == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), abs=TOL)
        ref = structural_similarity(
            b, a, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, **kw
        )
        assert ours_s[i] == pytest.approx(ref, abs=TOL)
    assert 0.5 < ours_s.mean() < 0.99 and 20 < ours_p.mean() < 40  # the noise is visible, not total


@pytest.mark.filterwarnings("ignore::UserWarning")  # lpips builds torchvision's nets with `pretrained=`
@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_equals_the_lpips_package_on_the_same_weights(images, net):
    import lpips
    import torch
    from safetensors.torch import load_file

    from ganbench.features.lpips_net import LPIPS

    outputs, targets = images[0][:6], images[1][:6]
    ours = LPIPS(net, weights="random", device="cpu")
    assert not ours.official and ours.lin.official  # random backbone; the wheel's pinned linear layers
    ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)  # the wheel's linear layers, a random trunk ...
    feats = {k[len("features.") :]: v for k, v in load_file(str(ours.weights.path)).items()}
    for part in (ref.net.slice1, ref.net.slice2, ref.net.slice3, ref.net.slice4, ref.net.slice5):
        part.load_state_dict({k: feats[k] for k in part.state_dict()})  # ... replaced by ours
    with torch.no_grad():
        expected = ref(*(torch.from_numpy(x.transpose(0, 3, 1, 2) / 127.5 - 1).float() for x in (outputs, targets)))
    got = ours(outputs, targets)
    np.testing.assert_allclose(got, expected.view(-1).double().numpy(), rtol=0, atol=LPIPS_TOL)
    assert (got > 0).all() and (ours(targets, targets) == 0).all()


# ------------------------------------------------------------------------------ known answers


def test_known_answers(images):
    _, targets = images
    t = np.clip(targets, 0, 250)
    shifted = t + 5  # every pixel off by 5: MSE 25 exactly
    assert psnr.per_pair(shifted, t, {}) == pytest.approx(10 * np.log10(255**2 / 25), abs=1e-12)
    assert np.isposinf(psnr.per_pair(targets, targets, {})).all()
    assert (ssim.per_pair(targets, targets, {}) == 1.0).all()
    assert (ssim.per_pair(targets, targets, {"paired_channel": "y"}) == 1.0).all()


# ------------------------------------------------------------------------------ the command and record


def test_eval_target_folders_record(tmp_path, images):
    import jsonschema

    outputs, targets = images
    outputs = outputs.copy()
    outputs[4] = targets[4]  # one identical pair: its PSNR, and so the mean, is inf
    out = write_folder(tmp_path / "out", outputs)
    tgt = write_folder(tmp_path / "tgt", targets)
    args = ["eval", out, "--target", tgt, "--lpips-weights", "random", "--bootstrap", "50", "--json", "-"]
    r = run(*args, "--html", tmp_path / "report.html")
    assert r.exit_code == 0, (r.stderr, r.exception)
    assert "NOT the official LPIPS alex weights" in r.stderr
    record = json.loads(r.stdout)
    schema = json.loads((Path(ganbench.__file__).parent / "schemas" / "record.schema.json").read_text())
    jsonschema.validate(record, schema)
    m = record["metrics"]
    assert list(m) == ["psnr", "ssim", "lpips"]
    assert m["psnr"]["value"] == "inf" and m["psnr"]["extra"]["identical_pairs"] == 1
    assert m["psnr"]["extra"]["per_pair"][4] == "inf" and len(m["ssim"]["extra"]["per_pair"]) == N
    per = np.array(m["ssim"]["extra"]["per_pair"])
    assert m["ssim"]["value"] == pytest.approx(per.mean()) and m["ssim"]["ci"][0] < per.mean() < m["ssim"]["ci"][1]
    assert m["ssim"]["extra"]["worst"][0]["value"] == per.min()
    assert m["ssim"]["extra"]["worst"][0]["pair"] == f"{int(per.argmin()):03d}.png"
    lp = np.array(m["lpips"]["extra"]["per_pair"])
    assert m["lpips"]["extra"]["worst"][0]["value"] == lp.max() and lp[4] == 0  # lower is better
    p = record["provenance"]
    assert p["pairs"]["matched_by"] == "relative file name" and p["lpips"]["official"] is False
    assert (
        record["protocol"]["options"]["paired_channel"] == "rgb"
        and m["ssim"]["extra"]["conventions"]["ssim_sigma"] == 1.5
    )
    again = json.loads(run(*args).stdout)  # the seed fixes every number
    assert again["metrics"] == record["metrics"]
    page = (tmp_path / "report.html").read_text()
    for n in m:  # each metric's worst pairs, output beside target
        assert f"worst pairs by {n}" in page
    assert page.count('class="thumb"') == 3 * 2 * min(N, 8) and "NOT the official LPIPS" in page
    loaded = ganbench.records.from_dict(record)
    assert loaded["psnr"] == float("inf") and loaded.metrics["psnr"].ci[1] == float("inf")


def test_y_channel_and_crop_options_are_recorded(tmp_path, images):
    outputs, targets = images
    np.save(tmp_path / "o.npy", outputs)
    np.save(tmp_path / "t.npy", targets)
    r = run(
        "eval",
        tmp_path / "o.npy",
        "--target",
        tmp_path / "t.npy",
        "--metrics",
        "psnr,ssim",
        "-O",
        "paired_channel=y",
        "-O",
        "paired_crop=2",
        "--json",
        "-",
    )
    assert r.exit_code == 0, (r.stderr, r.exception)
    m = json.loads(r.stdout)["metrics"]
    opts = {"paired_channel": "y", "paired_crop": 2}
    assert m["psnr"]["value"] == pytest.approx(psnr.per_pair(outputs, targets, opts).mean(), abs=1e-12)
    assert m["ssim"]["value"] == pytest.approx(ssim.per_pair(outputs, targets, opts).mean(), abs=1e-12)
    assert m["psnr"]["extra"]["conventions"] == {"paired_data_range": 255.0, "paired_channel": "y", "paired_crop": 2}


def test_fid_of_the_outputs_against_the_targets_in_the_same_run(images, inception_weights):
    outputs, targets = images
    both = ganbench.evaluate_paired(outputs, targets, ["psnr", "fid"], weights=inception_weights)
    alone = ganbench.evaluate(outputs, targets, ["fid"], weights=inception_weights)
    assert both["fid"] == alone["fid"] and both["psnr"] == psnr.per_pair(outputs, targets, {}).mean()
    assert both.provenance["pairs"]["count"] == N and both.provenance["metrics"] == ["psnr", "fid"]


# ------------------------------------------------------------------------------ errors


def test_unmatched_names_sizes_and_unreadable_files_are_one_line_errors(tmp_path, images):
    outputs, targets = images
    tgt = write_folder(tmp_path / "tgt", targets[:3])
    out = write_folder(tmp_path / "out", outputs[:3], ["000.png", "001.png", "x.png"])
    fails(run("eval", out, "--target", tgt, "--metrics", "psnr"), "x.png", "has no target", "relative file name")
    more = write_folder(tmp_path / "tgt2", targets[:4])
    fails(
        run("eval", write_folder(tmp_path / "out2", outputs[:3]), "--target", more, "--metrics", "psnr"),
        "003.png",
        "has no output",
    )
    big = write_folder(tmp_path / "out3", list(outputs[:2]) + [np.zeros((40, 32, 3), np.uint8)])
    fails(run("eval", big, "--target", tgt, "--metrics", "ssim"), "002.png", "40x32", "32x32")
    bad = write_folder(tmp_path / "out4", outputs[:3])
    (bad / "001.png").write_bytes(b"not a png")
    fails(run("eval", bad, "--target", tgt, "--metrics", "psnr"), "001.png", "cannot read image")
    np.save(tmp_path / "o.npy", outputs[:5])
    np.save(tmp_path / "t.npy", targets[:4])
    fails(run("eval", tmp_path / "o.npy", "--target", tmp_path / "t.npy"), "5 outputs", "4 targets", "by index")


def test_wrong_use_is_one_line_errors(tmp_path, images, monkeypatch):
    from ganbench.features import lpips_net
    from ganbench.features.weightfiles import KnownFile

    outputs, targets = images
    np.save(tmp_path / "o.npy", outputs)
    np.save(tmp_path / "t.npy", targets)
    o, t = tmp_path / "o.npy", tmp_path / "t.npy"
    fails(run("eval", o, "--ref", t, "--metrics", "psnr,fid"), "psnr", "--target")
    fails(run("eval", o, "--ref", t, "--target", t), "--target and --ref")
    with pytest.raises(ganbench.errors.GanbenchError, match="evaluate_paired"):  # every unpaired path refuses them
        ganbench.evaluate(outputs, targets, ["ssim"])
    fails(run("eval", o, "--ref", t, "--html", tmp_path / "r.html"), "--html", "--target")
    fails(run("eval", o, "--target", t, "-O", "paired_channel=ycbcr", "--metrics", "psnr"), "paired_channel")
    fails(run("eval", o, "--target", t, "-O", "paired_crop=16", "--metrics", "psnr"), "paired_crop=16")
    fails(run("eval", o, "--target", t, "-O", "paired_crop=12", "--metrics", "ssim"), "window does not fit")
    fails(run("eval", o, "--target", t, "-O", "lpips_net=squeeze", "--metrics", "lpips"), "lpips_net")
    # offline, no backbone in the cache: how to get it, or random weights
    kf = lpips_net.BACKBONE["alex"]
    monkeypatch.setitem(
        lpips_net.BACKBONE,
        "alex",
        KnownFile(kf.sha256, kf.name, kf.origin, kf.outputs, urls=("http://127.0.0.1:9/alexnet.pth",)),
    )
    fails(run("eval", o, "--target", t, "--metrics", "lpips"), "LPIPS alex backbone", "--lpips-weights random")
    monkeypatch.setitem(lpips_net.LIN, "alex", "0" * 64)  # as if the installed lpips file had been changed
    fails(
        run("eval", o, "--target", t, "--metrics", "lpips", "--lpips-weights", "random"),
        "linear layers",
        "reinstall lpips",
    )
    junk = tmp_path / "alexnet-owt-7be5be79.pth"
    junk.write_bytes(b"junk")
    fails(run("fetch", "lpips-alex", "--from", junk), "not one of the official")


def test_metric_options_that_are_also_flags_are_taken_paired_as_unpaired(tmp_path, images):
    """-O kid_subset_size=... beside the --kid-subset-size flag's default: the option wins, as in an unpaired
    eval (it once raised a TypeError of duplicate keywords here)."""
    outputs, targets = images
    np.save(tmp_path / "o.npy", outputs)
    np.save(tmp_path / "t.npy", targets)
    r = run(
        "eval",
        tmp_path / "o.npy",
        "--target",
        tmp_path / "t.npy",
        "--metrics",
        "psnr",
        "-O",
        "kid_subset_size=5",
        "--json",
        "-",
    )
    assert r.exit_code == 0, (r.stderr, r.exception)
    assert json.loads(r.stdout)["metrics"]["psnr"]["value"] == pytest.approx(
        psnr.per_pair(outputs, targets, {}).mean(), abs=1e-12
    )
