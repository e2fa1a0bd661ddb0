"""Pix2Pix end to end on CPU (issue 23): the networks against the reference's (parameter counts, the committed
forward fixture of benchmarks/reference/pix2pix_fixture.py), the paired objective against a plain
transcription of the reference's optimize_parameters, a few training steps on colourisation pairs written by
`ganbench data colorize`, resume after a kill to identical weights, and `ganbench sample RUN --input`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from safetensors.torch import load_file

import ganbench
from ganbench.baselines import ARCHITECTURES, BASELINES, count_params
from ganbench.baselines.pix2pix import PatchD, UNet, receptive_field
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, models
from ganbench.train.context import StepContext
from ganbench.train.data import open_pairs
from ganbench.train.loop import Trainer
from ganbench.train.objectives.paired import Paired
from ganbench.train.options import resolve

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
DATA = Path(__file__).parent / "data"
SMALL = {"arch": "pix2pix-small", "batch_size": 4, "g_batch_size": 4}
# the reference's UnetGenerator(3, 3, 5, 64) and NLayerDiscriminator(6, 64, n_layers=1), batch norm
COUNTS = (16659075, 139585)


@pytest.fixture(scope="module")
def pairs(cifar_excerpt, tmp_path_factory):
    """16 colourisation pairs of CIFAR-10 images, written by the CLI."""
    folder = tmp_path_factory.mktemp("data")
    np.savez(folder / "src.npz", train_images=cifar_excerpt["train_images"][:16])
    r = CliRunner().invoke(
        cli,
        [
            "data",
            "colorize",
            "--source",
            str(folder / "src.npz"),
            "--key",
            "train_images",
            "-o",
            str(folder / "pairs.npz"),
        ],
    )
    assert r.exit_code == 0, r.output
    return folder / "pairs.npz"


@pytest.fixture(scope="module")
def run(pairs, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "p2p"
    ganbench.train("pix2pix", out=out, data=pairs, steps=2, set=SMALL, progress=False)
    return out


from test_train import _same, _tensors  # noqa: E402 - one definition of "the same weights"


def test_parameter_counts_equal_the_reference():
    G, D = ARCHITECTURES.get("pix2pix-unet32").build(128)
    assert (count_params(G), count_params(D)) == COUNTS
    params = BASELINES.get("pix2pix")["source"]["params"]
    assert (params["G"], params["D"]) == COUNTS
    summary = json.loads((Path(__file__).parents[1] / "benchmarks/results/pix2pix_reference.json").read_text())
    full = summary["full"]["pix2pix-unet32"]
    assert (full["params"]["G"], full["params"]["D"]) == COUNTS and max(full["max_abs_diff"].values()) == 0.0
    # the 256x256 original, built by ganbench's classes with its arguments, has the reference's counts too
    assert count_params(UNet(3, 3, 8, 64)) == summary["full"]["unet_256+basic"]["params"]["G"] == 54413955
    assert count_params(PatchD(6, 64, 3)) == summary["full"]["unet_256+basic"]["params"]["D"] == 2768705
    assert [receptive_field(n) for n in (1, 2, 3)] == [16, 34, 70]
    assert D(torch.zeros(1, 6, 32, 32)).shape == (1, 1, 14, 14)


@pytest.mark.parametrize("name", ["small32", "dropout64"])
def test_forward_equals_the_reference_fixture(name):
    tensors = load_file(str(DATA / "pix2pix_small.safetensors"))
    spec = json.loads(
        __import__("safetensors").safe_open(str(DATA / "pix2pix_small.safetensors"), "pt").metadata()["summary"]
    )[name]
    s = spec["spec"]
    G, D = UNet(3, 3, s["num_downs"], s["ngf"]), PatchD(6, s["ndf"], s["n_layers"])
    G.load_state_dict({k[len(name) + 3 :]: v for k, v in tensors.items() if k.startswith(f"{name}.G.")})
    D.load_state_dict({k[len(name) + 3 :]: v for k, v in tensors.items() if k.startswith(f"{name}.D.")})
    x = tensors[f"{name}.x"]
    with torch.no_grad():
        for mode in ("eval", "train"):  # running statistics; batch statistics and dropout
            G.train(mode == "train"), D.train(mode == "train")
            torch.manual_seed(spec["dropout_seed"])
            g = G(x.clone())
            ref = tensors[f"{name}.G_{mode}"]
            assert (g - ref).abs().max() <= 1e-6, mode
            assert (D(torch.cat([x, ref], 1)) - tensors[f"{name}.D_{mode}"]).abs().max() <= 1e-6, mode
    if name == "dropout64":  # the fixture exercises dropout: training mode differs from eval mode
        assert not torch.allclose(tensors[f"{name}.G_train"], tensors[f"{name}.G_eval"])


def _bce(logits, real):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))


def one_step_equals_the_reference(baseline: str, small: dict, pairs, convert=None):
    """The objective's first step against pix2pix_model.py's optimize_parameters written out: G(A) once, D on
    cat(A, fake) and cat(A, B) with the loss halved, then G on BCE + 100 L1 through the updated D; (A, B) the
    step's pair, through `convert` where the model reads another colour space (test_pix2pix_lab.py)."""
    cfg = resolve(BASELINES.get(baseline)["train"], {**small, "data": str(pairs)})
    data = open_pairs(pairs, (3, 32, 32))
    trainer = Trainer(cfg, data, 3)
    stats = trainer.train_step()
    G, D, _ = models.networks(cfg, 3)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x, y = data.pairs(3, 0, 4)
    x, y = convert(data, x, y) if convert else (x, y)
    fake = G(x)
    loss_d = 0.5 * (_bce(D(torch.cat([x, fake.detach()], 1)), 0) + _bce(D(torch.cat([x, y], 1)), 1))
    opt_d.zero_grad(), loss_d.backward(), opt_d.step()
    D.requires_grad_(False)
    loss_g = _bce(D(torch.cat([x, fake], 1)), 1) + 100 * (fake - y).abs().mean()
    opt_g.zero_grad(), loss_g.backward(), opt_g.step()
    D.requires_grad_(True)
    assert stats["loss_d"] == pytest.approx(float(loss_d.detach()), abs=1e-6)
    assert stats["loss_g"] == pytest.approx(float(loss_g.detach()), abs=1e-5)
    for mine, ref in ((trainer.nets.G, G), (trainer.nets.D, D)):  # weights and running statistics (moved once)
        a, b = mine.state_dict(), ref.state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), k  # bit for bit on CPU


def test_one_step_equals_the_reference_update(pairs):
    one_step_equals_the_reference("pix2pix", SMALL, pairs)


def test_dropout_is_seeded_and_the_d_phase_leaves_batch_norm_alone():
    """G's dropout masks are a function of (seed, step), the same in D's phase and G's; D's phase moves no
    running statistic."""
    G = UNet(3, 3, 6, 2)  # 64x64: one ngf*8 level with dropout
    nets = models.Nets({"G": G, "D": PatchD(6, 2, 1)}, {}, None)
    ctx = StepContext({}, None, 5, nets, device=torch.device("cpu"))
    obj, x = Paired({}), torch.rand(2, 3, 64, 64) * 2 - 1
    before = {k: v.clone() for k, v in G.state_dict().items()}
    with torch.no_grad():
        ctx.step = 7
        a = obj._fake(ctx, x, keep_stats=True)
        assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
        b = obj._fake(ctx, x, keep_stats=False)
        assert torch.equal(a, b) and not all(torch.equal(before[k], v) for k, v in G.state_dict().items())
        ctx.step = 8
        c = obj._fake(ctx, x, keep_stats=True)
    assert not torch.equal(a, c)  # another step, other masks
    G.eval()
    with torch.no_grad():
        assert not torch.equal(G(x), b)


def test_pix2pix_trains_on_colourisation_pairs(run, pairs):
    meta = json.loads((run / "run.json").read_text())
    assert meta["baseline"] == "pix2pix" and meta["config"]["objective"] == "paired"
    assert meta["config"]["l1_weight"] == 100.0 and meta["data"]["kind"] == "pairs" and meta["data"]["count"] == 16
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in log if r["kind"] == "train"]
    assert len(train) == 2 and all(np.isfinite(r["loss_d"]) and np.isfinite(r["l1"]) for r in train)
    assert not any(r["kind"] == "warning" for r in log)
    assert (run / "samples" / "step-00000002.png").exists()
    with np.load(pairs) as z:  # the colourisation inputs: BT.601 luma in all three channels
        x, y = z["inputs"], z["targets"]
    assert x.shape == y.shape == (16, 32, 32, 3) and (x[..., 0] == x[..., 2]).all()
    r, g, b = (int(v) for v in y[0, 0, 0])
    assert int(x[0, 0, 0, 0]) == round(0.299 * r + 0.587 * g + 0.114 * b)


def test_paired_data_errors_are_one_line(cifar_excerpt, tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, images=cifar_excerpt["train_images"][:4])
    res = CliRunner().invoke(
        cli, ["train", "pix2pix", "--data", str(plain), "--steps", "1", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 2 and "no `inputs` array" in res.output and len(res.output.strip().splitlines()) == 1
    with pytest.raises(GanbenchError, match="objective=paired trains an image-to-image"):
        ganbench.train(
            "dcgan", out=tmp_path / "s", data=plain, key="images", steps=1, set={"objective": "paired"}, progress=False
        )
    with pytest.raises(GanbenchError, match="does not use mbstd"):
        Paired(resolve(BASELINES.get("pix2pix")["train"], {"mbstd": 4})).check(1)


def test_pix2pix_resumes_after_a_kill_to_identical_weights(pairs, tmp_path):
    kw = dict(data=pairs, steps=2, set={**SMALL, "ema": "0.9"}, checkpoint_every=1, progress=False)
    ganbench.train("pix2pix", out=tmp_path / "full", **kw)
    ganbench.train("pix2pix", out=tmp_path / "cut", **kw)
    # as if killed after step 1's checkpoint: the later checkpoint gone, the log cut mid-line
    checkpoint.path_for(tmp_path / "cut", 2).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 1, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    assert any(k.startswith("G_ema.") for k in _tensors(tmp_path / "cut"))


def test_sample_input_translates_npz_and_folders(run, pairs, tmp_path):
    r = CliRunner().invoke(
        cli, ["sample", str(run), "--input", str(pairs), "-o", str(tmp_path / "o.npz"), "--json", "-"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["n"] == 16
    with np.load(tmp_path / "o.npz") as z, np.load(pairs) as p:
        out, inputs = z["arr_0"], p["inputs"]
    assert out.shape == (16, 32, 32, 3) and out.dtype == np.uint8
    from PIL import Image

    (tmp_path / "in" / "sub").mkdir(parents=True)
    Image.fromarray(inputs[0]).save(tmp_path / "in" / "a.png")
    Image.fromarray(inputs[1]).save(tmp_path / "in" / "sub" / "b.png")
    r = CliRunner().invoke(cli, ["sample", str(run), "--input", str(tmp_path / "in"), "-o", str(tmp_path / "dir")])
    assert r.exit_code == 0, r.output
    assert sorted(str(p.relative_to(tmp_path / "dir")) for p in (tmp_path / "dir").rglob("*.png")) == [
        "a.png",
        "sub/b.png",
    ]
    # an output depends on its input alone (eval mode): the same as in the batch of 16
    assert np.array_equal(np.asarray(Image.open(tmp_path / "dir" / "sub" / "b.png")), out[1])
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "in" / "small.png")
    r = CliRunner().invoke(cli, ["sample", str(run), "--input", str(tmp_path / "in"), "-o", str(tmp_path / "d2")])
    assert r.exit_code == 2 and "small.png is 16x16 but the model takes 32x32" in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "d2").exists() or not any((tmp_path / "d2").iterdir())  # nothing half-written
    r = CliRunner().invoke(cli, ["sample", str(run), "-n", "4", "-o", str(tmp_path / "z.npz")])  # no latents to sample
    assert r.exit_code == 2 and "pass --input IMAGES" in r.output and len(r.output.strip().splitlines()) == 1


def test_test_norm_input_normalises_each_input_by_its_own_statistics(run, pairs, tmp_path):
    """pix2pix's outputs use batch norm on each input's own statistics (Isola et al. sec. 3.3, the reference's
    test.py at batch 1), the baseline's test_norm; --test-norm running gives model.eval()'s; G is left as it was."""
    import copy

    from ganbench.train.sampling import load_generator
    from ganbench.train.translate import translate

    with np.load(pairs) as p:
        inputs = p["inputs"][:5]
    G, _info = load_generator(run, "last", None, "cpu")
    before = {k: v.clone() for k, v in G.state_dict().items()}
    G.train()
    got = translate(G, inputs, batch_size=5, test_norm="input")
    assert G.training and all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    # independently: a copy whose batch-norm layers keep no running statistics normalises by the batch's own
    # statistics even in eval mode; one input at a time
    plain = copy.deepcopy(G).eval()
    for m in plain.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.track_running_stats, m.running_mean, m.running_var = False, None, None
    with torch.no_grad():
        for i in range(5):
            x = torch.from_numpy(inputs[i : i + 1]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
            y = ((plain(x)[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
            assert np.abs(y.astype(int) - got[i].astype(int)).max() <= 1  # float rounding at .5 only
    running = translate(G, inputs, batch_size=5, test_norm="running")
    assert not np.array_equal(running, got)

    out = tmp_path / "o.npz"
    r = CliRunner().invoke(cli, ["sample", str(run), "--input", str(pairs), "-o", str(out), "--json", "-"])
    assert r.exit_code == 0 and json.loads(r.output)["test_norm"] == "input"  # baselines/pix2pix.toml's
    with np.load(out) as z:
        assert np.array_equal(z["arr_0"][:5], got)
    r = CliRunner().invoke(
        cli, ["sample", str(run), "--input", str(pairs), "-o", str(out), "--test-norm", "running", "--json", "-"]
    )
    assert r.exit_code == 0 and json.loads(r.output)["test_norm"] == "running"
    with np.load(out) as z:
        assert np.array_equal(z["arr_0"][:5], running)
    r = CliRunner().invoke(cli, ["sample", str(run), "-n", "4", "-o", str(out), "--test-norm", "input"])
    assert r.exit_code == 2 and "--test-norm: only with --input" in r.output and len(r.output.strip().splitlines()) == 1
