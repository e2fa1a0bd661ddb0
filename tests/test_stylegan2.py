"""StyleGAN2 (issue 22): ganbench's plain-PyTorch networks compute what NVlabs/stylegan2-ada-pytorch's
networks compute with the same weights (tests/data/stylegan2_reference.npz, written by
benchmarks/reference/stylegan2_fixture.py from the reference's own code), have its parameter counts,
and their parts do what the paper says: truncation, demodulation, noise, conditioning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.baselines import ARCHITECTURES, BASELINES, count_params
from ganbench.baselines.stylegan2 import Discriminator, Generator, load_reference_state, networks
from ganbench.baselines.stylegan2_layers import modulated_conv2d
from ganbench.errors import GanbenchError

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
FIXTURE = Path(__file__).parent / "data" / "stylegan2_reference.npz"
# (G, D) of the reference's networks as train.py --cfg=cifar builds them (unconditional, and --cond=1 with
# 10 classes), counted by benchmarks/reference/stylegan2_fixture.py (benchmarks/results/stylegan2_reference.json)
REFERENCE_COUNTS = {"stylegan2": (19947539, 20720641), "stylegan2-cond": (20215315, 23089664)}
SMALL = dict(z_dim=32, w_dim=32, channel_base=512, channel_max=16, conv_clamp=4)


@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_parameter_counts_equal_the_references(name):
    b = BASELINES.get(name)
    G, D = ARCHITECTURES.get(b["train"]["arch"]).build(
        b["train"]["z_dim"], mbstd_group=b["train"]["mbstd"], num_classes=10 if b["train"].get("conditional") else 0
    )
    assert (count_params(G), count_params(D)) == REFERENCE_COUNTS[name]
    assert (b["source"]["params"]["G"], b["source"]["params"]["D"]) == REFERENCE_COUNTS[name]
    assert G.num_ws == 8 and G.z_dim == G.w_dim == 512 and (G.img_resolution, G.img_channels) == (32, 3)


def _fixture(name):
    """A config's arrays; the 'resnet' D's configs store only D's, and share G and its outputs with 'orig'."""
    with np.load(FIXTURE) as z:

        def part(prefix):
            return {k[len(prefix) + 1 :]: torch.from_numpy(z[k]) for k in z.files if k.startswith(prefix + "/")}

        return {**part(name.replace("_resnet", "_orig")), **part(name)}


@pytest.mark.parametrize("name", ["small_c0_orig", "small_c10_orig", "small_c0_resnet", "small_c10_resnet"])
def test_forward_equals_the_reference_with_the_same_weights(name):
    f = _fixture(name)
    c_dim = 10 if "_c10_" in name else 0
    G = Generator(c_dim=c_dim, **SMALL)
    D = Discriminator(
        c_dim=c_dim,
        architecture=name.rsplit("_", 1)[1],
        mbstd_group_size=32,
        **{k: v for k, v in SMALL.items() if k not in ("z_dim", "w_dim")},
    )
    load_reference_state(G, {k[2:]: v for k, v in f.items() if k.startswith("G.")})
    load_reference_state(D, {k[2:]: v for k, v in f.items() if k.startswith("D.")})
    z, c = f["z"], f["c"]
    close = dict(rtol=0, atol=1e-5)
    with torch.no_grad():
        for mode, train in (("eval", False), ("train", True)):  # fused / separate modulation, as the reference
            G.train(train), D.train(train)
            ws = G.mapping(z, c)
            torch.testing.assert_close(ws, f[f"out.ws_{mode}"], **close)
            img = G.synthesis(ws, noise_mode="const")
            torch.testing.assert_close(img, f[f"out.img_const_{mode}"], **close)
            torch.manual_seed(7)  # the reference's random noise: torch.randn in the same order
            torch.testing.assert_close(G.synthesis(ws, noise_mode="random"), f[f"out.img_random_{mode}"], **close)
            torch.testing.assert_close(D(f[f"out.img_const_{mode}"], c), f[f"out.d_{mode}"], **close)
        G.eval()
        torch.testing.assert_close(G.mapping(z, c, truncation_psi=0.7), f["out.ws_trunc"], **close)
        torch.testing.assert_close(
            G.mapping(z, c, truncation_psi=0.5, truncation_cutoff=3), f["out.ws_trunc_cut"], **close
        )
        G.mapping(z, c, update_emas=True)
        torch.testing.assert_close(G.mapping.w_avg, f["out.w_avg_updated"], **close)
    if c_dim:  # integer labels are the reference's one-hot rows
        with torch.no_grad():
            torch.testing.assert_close(D(f["out.img_const_eval"], c.argmax(1)), f["out.d_eval"], **close)


def _small(c_dim=0):
    torch.manual_seed(0)
    return networks(16, c_dim, 4, channel_base=256, channel_max=8)


def test_truncation_psi_0_gives_w_avg_and_w_avg_moves_only_when_asked():
    G, _ = _small()
    z = torch.randn(5, 16)
    with torch.no_grad():
        G.mapping.w_avg.normal_()
        before = G.mapping.w_avg.clone()
        G.train()
        ws = G.mapping(z)
        assert torch.equal(G.mapping.w_avg, before)  # update_emas=False (the default) leaves it alone
        assert torch.equal(G.mapping(z, truncation_psi=0), before.expand(5, G.num_ws, -1))
        cut = G.mapping(z, truncation_psi=0, truncation_cutoff=2)
        assert torch.equal(cut[:, :2], before.expand(5, 2, -1)) and torch.equal(cut[:, 2:], ws[:, 2:])
        G.mapping(z, update_emas=True)
        torch.testing.assert_close(G.mapping.w_avg, ws[:, 0].mean(0).lerp(before, 0.995))


def test_demodulation_normalises_each_output_channel():
    torch.manual_seed(0)
    x, weight, styles = torch.randn(2, 8, 64, 64), torch.randn(6, 8, 3, 3), torch.rand(2, 8) + 0.5
    out = modulated_conv2d(x, weight, styles, padding=1)
    # demodulated: scaling a sample's styles changes nothing, and unit-variance inputs give unit-variance outputs
    torch.testing.assert_close(
        modulated_conv2d(x, weight, styles * torch.tensor([[10.0], [0.1]]), padding=1), out, rtol=1e-4, atol=1e-5
    )
    std = out[:, :, 1:-1, 1:-1].std(dim=(2, 3))
    assert float((std - 1).abs().max()) < 0.05
    raw = modulated_conv2d(x, weight, styles * 10, padding=1, demodulate=False)
    assert float(raw.std()) > 10  # without demodulation the style's scale goes through
    fused = modulated_conv2d(x, weight, styles, padding=1, fused=False)
    torch.testing.assert_close(fused, out, rtol=1e-4, atol=1e-5)  # the two execution paths agree


def test_conditional_networks_read_their_labels():
    G, D = _small(c_dim=10)
    G.eval()
    z = torch.randn(4, 16).repeat(2, 1)
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    with torch.no_grad():
        x = G(z, y, noise_mode="const")
        assert not torch.allclose(x[:4], x[4:])  # same z, other class: another image
        img = x[:4].repeat(2, 1, 1, 1)
        out = D(img, y)
        assert out.shape == (8, 1) and not torch.allclose(out[:4], out[4:])
        one_hot = torch.nn.functional.one_hot(y, 10).float()
        assert torch.equal(G(z, one_hot, noise_mode="const"), x)
    with pytest.raises(GanbenchError, match="class-conditional"):
        G(z)


def test_noise_modes_and_seeded_noise():
    G, _ = _small()
    G.eval()
    with torch.no_grad():
        for layer in G.modules():
            if hasattr(layer, "noise_strength"):
                layer.noise_strength.fill_(0.5)
        ws = G.mapping(torch.randn(3, 16))
        const = G.synthesis(ws, noise_mode="const")
        assert torch.equal(const, G.synthesis(ws, noise_mode="const"))
        assert not torch.equal(const, G.synthesis(ws, noise_mode="none"))
        a = G.synthesis(ws, generator=torch.Generator().manual_seed(1))
        assert torch.equal(a, G.synthesis(ws, generator=torch.Generator().manual_seed(1)))
        assert not torch.equal(a, G.synthesis(ws, generator=torch.Generator().manual_seed(2)))
        G.synthesis.noise_generator = torch.Generator().manual_seed(1)  # the attribute, for callers of G(z)
        assert torch.equal(a, G.synthesis(ws))
        G.synthesis.noise_generator = None
        # one generator per sample: a sample's noise does not depend on the others in its batch
        per = G.synthesis(ws, generator=[torch.Generator().manual_seed(10 + i) for i in range(3)])
        alone = G.synthesis(ws[1:2], generator=[torch.Generator().manual_seed(11)])
        torch.testing.assert_close(per[1:2], alone, rtol=0, atol=1e-5)
    with pytest.raises(GanbenchError, match="noise_mode"):
        G.synthesis(ws, noise_mode="fixed")


def test_a_state_that_does_not_fit_is_one_clear_error():
    G, D = _small()
    state = dict(G.state_dict())
    state.pop("synthesis.b4.const")
    with pytest.raises(GanbenchError, match=r"missing \['synthesis.b4.const'\]"):
        load_reference_state(G, state)
    with pytest.raises(GanbenchError, match="unexpected"):
        load_reference_state(D, {**D.state_dict(), "mapping.embed.weight": torch.zeros(1)})


CPU_RUN = {"arch": "stylegan2-small", "z_dim": 16, "batch_size": 4, "g_batch_size": 4, "mbstd": 4, "d_reg_interval": 2}


@pytest.fixture(scope="module")
def labelled(cifar_excerpt, tmp_path_factory):
    root = tmp_path_factory.mktemp("sg2")
    np.savez(root / "lab.npz", images=cifar_excerpt["train_images"][:16], labels=cifar_excerpt["train_labels"][:16])
    return root / "lab.npz"


@pytest.fixture(scope="module")
def run(labelled):
    """Two steps of the CPU-sized variant, conditional, trained by the stylegan2 objective with ADA (the
    baseline's augment): the networks plug into training, checkpoints and sampling."""
    import ganbench

    out = labelled.parent / "r"
    ganbench.train(
        "stylegan2-cond", out=out, data=labelled, key="images", labels="labels", steps=2, set=CPU_RUN, progress=False
    )
    return out


def test_stylegan2_trains_with_its_objective_and_ada_and_logs_p(run):
    meta = json.loads((run / "run.json").read_text())
    assert meta["config"]["objective"] == "stylegan2" and meta["config"]["augment"] == "ada"
    log = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in log if r["kind"] == "train"]
    assert [r["step"] for r in train] == [1, 2]
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) and "aug_p" in r for r in train)


def test_stylegan2_resumes_after_a_kill_to_identical_weights(labelled, tmp_path):
    from test_train import _same, _tensors

    import ganbench
    from ganbench.train import checkpoint

    kw = dict(
        data=labelled,
        key="images",
        labels="labels",
        steps=3,
        set={**CPU_RUN, "ada_interval": 1},
        checkpoint_every=1,
        progress=False,
    )
    ganbench.train("stylegan2-cond", out=tmp_path / "full", **kw)
    ganbench.train("stylegan2-cond", out=tmp_path / "cut", **kw)
    # as if killed after step 2's checkpoint: the later checkpoint gone, the log cut mid-line
    checkpoint.path_for(tmp_path / "cut", 3).unlink()
    with open(tmp_path / "cut" / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "step": 2, "loss_d"')
    ganbench.train(resume=tmp_path / "cut", progress=False)
    _same(_tensors(tmp_path / "full"), _tensors(tmp_path / "cut"))
    a, b = (checkpoint.load(checkpoint.path_for(tmp_path / d, 3))[1] for d in ("full", "cut"))
    assert a["augment"] == b["augment"]  # ADA's p and its accumulator came back with the checkpoint


def test_stylegan2_run_evaluates_per_class(run, inception_weights):
    import ganbench

    res = ganbench.evaluate(
        run,
        n=20,
        ref=str(run.parent / "lab.npz"),
        ref_key="images",
        classes="uniform",
        metrics=["fid"],
        weights=inception_weights,
    )
    assert np.isfinite(res.metrics["fid"].value)


def test_samples_are_seeded_per_sample_and_truncation_pulls_to_the_mean(run, tmp_path):
    from click.testing import CliRunner

    import ganbench
    from ganbench.cli import cli

    a, info = ganbench.sample(run, 6, classes=[0, 3], progress=False)
    assert (
        np.array_equal(a, ganbench.sample(run, 6, classes=[0, 3], progress=False)[0]) and "truncation_psi" not in info
    )
    # the noise is drawn per sample: another batch size changes only float rounding (the grouped convolution's)
    b, _ = ganbench.sample(run, 6, classes=[0, 3], batch_size=4, progress=False)
    assert np.abs(a.astype(int) - b).max() <= 1 and (a != b).mean() < 1e-3
    t, info = ganbench.sample(run, 6, classes=[0, 3], truncation=0.0, progress=False)
    assert info["truncation_psi"] == 0.0 and not np.array_equal(a, t)

    def spread(x):  # how much class 0's three samples differ
        return np.abs(x[[0, 2, 4]].astype(int) - x[0]).mean()

    assert spread(t) < 0.1 * spread(a)  # psi 0: every w is w_avg (class-agnostic, as the reference); noise differs
    r = CliRunner().invoke(
        cli,
        [
            "sample",
            str(run),
            "-n",
            "4",
            "--classes",
            "uniform",
            "--truncation",
            "0.7",
            "-o",
            str(tmp_path / "s.npz"),
            "--json",
            "-",
        ],
    )
    assert r.exit_code == 0 and '"truncation_psi": 0.7' in r.output, r.output


def test_truncation_of_a_baseline_without_a_mapping_network_is_one_line(cifar_excerpt, tmp_path):
    from click.testing import CliRunner

    import ganbench
    from ganbench.cli import cli

    np.save(tmp_path / "x.npy", cifar_excerpt["train_images"][:8])
    ganbench.train(
        "dcgan",
        out=tmp_path / "u",
        data=tmp_path / "x.npy",
        steps=1,
        set={"batch_size": 4, "g_batch_size": 4},
        progress=False,
    )
    r = CliRunner().invoke(
        cli, ["sample", str(tmp_path / "u"), "-n", "4", "--truncation", "0.7", "-o", str(tmp_path / "x.npz")]
    )
    assert r.exit_code == 2 and "has no mapping network to truncate" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / "x.npz").exists()
