"""The colourisation model of junyanz/pytorch-CycleGAN-and-pix2pix (`pix2pix-colorization`, issue 23): the Lab
conversion against scikit-image's (the reference's), the networks' parameter counts against the reference's
classes, one training step against colorization_dataset.py + pix2pix_model.py written out, resume after a kill,
and outputs that are lab2rgb of the input's L* and G's a*, b* (a*, b* = 0: the greyscale input itself)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import ganbench
from ganbench.baselines import ARCHITECTURES, BASELINES, cielab, count_params
from ganbench.baselines.pix2pix import LabUNet
from ganbench.cli import cli
from ganbench.train import checkpoint
from ganbench.train.translate import translate

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
color = pytest.importorskip("skimage.color")
SMALL = {"arch": "pix2pix-small-lab", "batch_size": 4, "g_batch_size": 4}
COUNTS = (16654978, 136513)  # the reference's UnetGenerator(1, 2, 5, 64) and NLayerDiscriminator(3, 64, 1)


@pytest.fixture(scope="module")
def pairs(cifar_excerpt, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    np.savez(folder / "src.npz", train_images=cifar_excerpt["train_images"][:16])
    r = CliRunner().invoke(
        cli,
        ["data", "colorize", "--source", str(folder / "src.npz"), "--key", "train_images", "-o", str(folder / "p.npz")],
    )
    assert r.exit_code == 0, r.output
    return folder / "p.npz"


def _nchw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).contiguous()  # (as the trainer's layout)


def test_lab_conversion_equals_scikit_image():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (8, 16, 16, 3), dtype=np.uint8)
    rgb[0, 0, :4] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [1, 2, 3]]  # black, white, a primary, near-black
    got = cielab.rgb_to_lab(_nchw(rgb).double() / 255).permute(0, 2, 3, 1).numpy()
    assert np.abs(got - color.rgb2lab(rgb)).max() < 1e-9
    lab = np.concatenate([rng.uniform(0, 100, (8, 16, 16, 1)), rng.uniform(-128, 128, (8, 16, 16, 2))], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # out-of-gamut colours (z < 0): scikit-image warns and clips, as here
        want = color.lab2rgb(lab)
    assert np.abs(cielab.lab_to_rgb(_nchw(lab)).permute(0, 2, 3, 1).numpy() - want).max() < 1e-9
    # the reference's scaling (colorization_dataset.py): L / 50 - 1 in, ab / 110 out
    x = _nchw(rgb).float() / 127.5 - 1
    ref = color.rgb2lab(rgb)
    assert np.array_equal(cielab.to_model(x)[:, 0].numpy(), (ref[..., 0] / 50 - 1).astype(np.float32))
    assert np.array_equal(cielab.ab_of(x).permute(0, 2, 3, 1).numpy(), (ref[..., 1:] / 110).astype(np.float32))


def test_parameter_counts_equal_the_reference():
    G, D = ARCHITECTURES.get("pix2pix-unet32-lab").build(128)
    assert isinstance(G, LabUNet) and (count_params(G), count_params(D)) == COUNTS
    params = BASELINES.get("pix2pix-colorization")["source"]["params"]
    assert (params["G"], params["D"]) == COUNTS
    summary = json.loads((Path(__file__).parents[1] / "benchmarks/results/pix2pix_reference.json").read_text())
    ref = summary["full"]["pix2pix-unet32-lab"]
    assert (ref["params"]["G"], ref["params"]["D"]) == COUNTS and max(ref["max_abs_diff"].values()) == 0.0
    assert G(torch.zeros(2, 1, 32, 32)).shape == (2, 2, 32, 32) and D(torch.zeros(2, 3, 32, 32)).shape == (2, 1, 14, 14)


def test_one_step_equals_the_reference_update(pairs):
    """colorization_dataset.py's A (L / 50 - 1 of rgb2lab) and B (ab / 110), then pix2pix_model.py's
    optimize_parameters (test_pix2pix.py's transcription) on them: L1 on ab, D on cat(A, ab)."""
    from test_pix2pix import one_step_equals_the_reference

    def convert(data, x, y):
        A, B = cielab.to_model(x), cielab.ab_of(y)  # as the objective converts them, checked here against
        idx = data.indices(3, 0, 4)  # colorization_dataset.py's rgb2lab and scaling of the same uint8 images
        lab_in, lab_out = color.rgb2lab(data.inputs[idx]), color.rgb2lab(data.images[idx])
        assert np.array_equal(A.numpy(), _nchw(lab_in[..., :1] / 50 - 1).float().numpy())
        assert np.array_equal(B.numpy(), _nchw(lab_out[..., 1:] / 110).float().numpy())
        return A, B

    one_step_equals_the_reference("pix2pix-colorization", SMALL, pairs, convert)


def test_outputs_are_lab2rgb_of_the_input_lightness_and_gs_colour(pairs, tmp_path):
    run = tmp_path / "lab"
    ganbench.train("pix2pix-colorization", out=run, data=pairs, steps=2, set=SMALL, checkpoint_every=1, progress=False)
    with np.load(pairs) as p:
        x = p["inputs"][:4]
    r = CliRunner().invoke(
        cli, ["sample", str(run), "--input", str(pairs), "-o", str(tmp_path / "o.npz"), "--json", "-"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["test_norm"] == "input"  # test.py's batch norm (baselines/pix2pix-colorization.toml)
    with np.load(tmp_path / "o.npz") as z:
        out = z["arr_0"][:4]
    from ganbench.train.sampling import load_generator

    G, _ = load_generator(run, "last", None, "cpu")
    plain = G.__class__(G.num_downs, ngf=8)  # an independent copy that keeps no running statistics
    plain.load_state_dict(G.state_dict())
    for m in plain.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.track_running_stats, m.running_mean, m.running_var = False, None, None
    lab_in = color.rgb2lab(x)
    L = _nchw(lab_in[..., :1] / 50 - 1).float()
    with torch.no_grad():  # one input at a time: each normalised by its own statistics
        ab = torch.cat([plain.eval()(L[i : i + 1]) for i in range(len(L))]).permute(0, 2, 3, 1).double().numpy()
    want = np.round(color.lab2rgb(np.concatenate([lab_in[..., :1], ab * 110], -1)) * 255)
    assert np.abs(out.astype(int) - want).max() <= 1
    # a G whose a*, b* are 0 gives the greyscale input back: the floor is this model's "no colour"
    zero = LabUNet(5, 8)
    for p in zero.parameters():
        torch.nn.init.zeros_(p)
    assert np.array_equal(translate(zero, x), x)


def test_resumes_after_a_kill_to_identical_weights(pairs, tmp_path):
    from test_train import _same, _tensors

    kw = dict(data=pairs, steps=2, set=SMALL, checkpoint_every=1, progress=False)
    ganbench.train("pix2pix-colorization", out=tmp_path / "full", **kw)
    ganbench.train("pix2pix-colorization", out=tmp_path / "cut", **kw)
    checkpoint.path_for(tmp_path / "cut", 2).unlink()
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
