"""ppl (ganbench/path_length.py, metrics/ppl.py): equal to torchmetrics 1.9.0's perceptual_path_length on
the same generator, latents and LPIPS-VGG weights; known answers (a constant G, linear generators with a
pixel-L2 distance, end against full sampling, the reference's trimming); StyleGAN2's noise held within a
pair; the generator paths (Python, run folder on the CLI), records, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import ganbench
from ganbench.errors import GanbenchError
from ganbench.metrics.ppl import summarise, trimmed_mean
from ganbench.path_length import draws, pair_images
from ganbench.records import comparable

pytestmark = pytest.mark.usefixtures("one_thread")
Z = 8
# the reference interpolates in float32, ganbench in float64: per pair 6.0e-3 apart at most (means 4e-4);
# 3.8e-5 when ganbench too slerps in float32 (measured), so the rest is float32 rounding of a 1e-4 step
RTOL_FLOAT32 = 1e-2


class Tanh(torch.nn.Module):
    """A tiny deterministic generator: latents -> 3x16x16 images in [-1, 1]."""

    z_dim = Z

    def __init__(self, dtype=torch.float32):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(3 * 16 * 16, Z, generator=g, dtype=dtype) / Z**0.5)

    def forward(self, z):
        return torch.tanh(z @ self.w.T).view(-1, 3, 16, 16)


class Linear(torch.nn.Module):
    """G(z) = A z as 3x4x4 images (float64), with a linear mapping network for w space: synthesis(M z)."""

    z_dim = Z

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(1)
        self.A = torch.nn.Parameter(torch.randn(48, Z, generator=g, dtype=torch.float64))
        self.M = torch.nn.Parameter(torch.randn(6, Z, generator=g, dtype=torch.float64))
        self.B = torch.nn.Parameter(torch.randn(48, 6, generator=g, dtype=torch.float64))

    def forward(self, z):
        return (z @ self.A.T).view(-1, 3, 4, 4)

    def mapping(self, z, c=None):
        return z @ self.M.T

    def synthesis(self, ws):
        return (ws @ self.B.T).view(-1, 3, 4, 4)


@pytest.fixture(scope="module")
def vgg(tmp_path_factory):
    """The random LPIPS-VGG backbone (`--lpips-weights random`) written once for the module: a file of the
    same weights reads the same (and is NOT official), without writing 58 MB in every test's own home."""
    import os

    from ganbench.features.lpips_net import random_backbone

    old = os.environ.get("GANBENCH_HOME")
    os.environ["GANBENCH_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        return str(random_backbone("vgg"))
    finally:
        if old is None:
            del os.environ["GANBENCH_HOME"]
        else:
            os.environ["GANBENCH_HOME"] = old


def l2(a, b):
    return (a.double() - b.double()).pow(2).flatten(1).sum(1)


def per_pair(result):
    return np.asarray(result.metrics["ppl"].extra["per_pair"])


# ---------------------------------------------------------------------------------------------- torchmetrics


class _Queue(torch.nn.Module):
    """torchmetrics' generator interface on given latents: sample() returns z0, then z1; images in 0..255."""

    def __init__(self, G, z0, z1):
        super().__init__()
        self.G, self.queue = G, [z0, z1]

    def sample(self, n):
        return self.queue.pop(0)

    def forward(self, z):
        return (self.G(z) + 1) * 127.5


class _Float32(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, a, b):
        return self.net(a.float(), b.float())


def _torchmetrics_lpips(ours, monkeypatch):
    """torchmetrics' LPIPS-VGG with our random backbone loaded into it (no download) and its own linear layers.
    Its VGG16 is built from torchvision's; the layers it keeps are torchvision's `features`, which ganbench's
    convnets.vgg_features equals (tests/test_convnets.py): built that way, without the 120M-weight classifier."""
    import torchmetrics.functional.image.lpips as tml

    from ganbench.features import statefiles, weightfiles
    from ganbench.features.convnets import vgg_features

    monkeypatch.setattr(tml, "_get_tv_model_features", lambda net, pretrained=False: vgg_features("vgg16"))
    net = tml._LPIPS(pretrained=True, net="vgg", pnet_rand=True, resize=None).eval()
    state = statefiles.load_state_dict(ours.weights.path, "backbone")
    with torch.no_grad():
        for k in range(1, 6):
            for name, p in getattr(net.net, f"slice{k}").named_parameters():
                p.copy_(state[f"features.{name}"])
    tm_lin = weightfiles.digest(__import__("pathlib").Path(tml.__file__).parent / "lpips_models" / "vgg.pth")
    assert tm_lin == weightfiles.digest(ours.lin.path)  # the same v0.1 linear layers
    return _Float32(net)


def test_ppl_equals_torchmetrics_on_the_same_generator_latents_and_lpips_weights(monkeypatch, vgg):
    from torchmetrics.functional.image import perceptual_path_length

    from ganbench.features.lpips_net import LPIPS

    n, G = 40, Tanh(torch.float64).eval()
    ours = LPIPS("vgg", weights=vgg, device="cpu")
    tm_net = _torchmetrics_lpips(ours, monkeypatch)
    z0, z1, _, _ = draws(0, 0, n, Z)
    unit = [z.double() / z.double().norm(dim=1, keepdim=True) for z in (z0, z1)]  # slerp_unit on the sphere

    def theirs(**kw):
        out = perceptual_path_length(
            _Queue(G, *unit), num_samples=n, interpolation_method="slerp_unit", resize=None, sim_net=tm_net, **kw
        )
        return out[0].item(), out[2].reshape(-1).double().numpy()

    _, all_theirs = theirs(lower_discard=None, upper_discard=None)
    r = ganbench.ppl(G, n, lpips_weights=vgg, ppl_lower=0.0, ppl_upper=1.0, progress=False)
    np.testing.assert_allclose(per_pair(r), all_theirs, rtol=1e-6)  # measured 6.1e-8: their float32 division by eps^2
    mean_theirs, _ = theirs()  # their 1%/99% discards, both quantiles "lower"
    r = ganbench.ppl(G, n, lpips_weights=vgg, ppl_quantiles="torchmetrics", progress=False)
    assert r["ppl"] == pytest.approx(mean_theirs, rel=1e-6)
    assert r.metrics["ppl"].extra["kept"] == n - 1  # 0.99 "lower" drops the largest of 40
    assert r["ppl"] > 0


# ---------------------------------------------------------------------------------------------- known answers


def test_uint8_images_and_training_mode_are_warned_in_the_record():
    def G(z):
        return ((z[:, :3, None, None].expand(-1, 3, 4, 4) + 3) * 40).clamp(0, 255).to(torch.uint8)

    r = ganbench.ppl(G, 4, z_dim=Z, distance=l2, progress=False)
    assert any("uint8" in w for w in r.warnings)
    r = ganbench.ppl(Linear().train(), 4, distance=l2, progress=False)
    assert any("training mode" in w for w in r.warnings)


def test_a_generator_that_ignores_z_has_ppl_zero(vgg):
    const = torch.linspace(-1, 1, 3 * 16 * 16).view(1, 3, 16, 16)
    r = ganbench.ppl(lambda z: const.expand(len(z), -1, -1, -1), 12, z_dim=Z, lpips_weights=vgg, progress=False)
    assert r["ppl"] == 0.0 and not per_pair(r).any()


def _great_circle(t):
    """For the draws: the angle w between z0 and z1 and the unit tangent of the slerp path at fraction t."""
    z0, z1 = (z.double() for z in draws(0, 0, 30, Z)[:2])
    a, b = z0 / z0.norm(dim=1, keepdim=True), z1 / z1.norm(dim=1, keepdim=True)
    d = (a * b).sum(1, keepdim=True)
    w = d.acos()
    c = (b - d * a) / (b - d * a).norm(dim=1, keepdim=True)
    return w, -torch.sin(t * w) * a + torch.cos(t * w) * c


@pytest.mark.parametrize("sampling", ["end", "full"])
def test_linear_generator_in_z_space_gives_the_closed_form(sampling):
    """G(z) = A z, distance |.|^2: d_i -> w_i^2 |A u_i(t_i)|^2 (u the unit tangent of the great circle), t = 0 at
    the end."""
    G = Linear()
    t = draws(0, 0, 30, Z)[2].double()[:, None] * (sampling == "full")
    w, u = _great_circle(t)
    want = (w[:, 0] ** 2 * (u @ G.A.detach().T).pow(2).sum(1)).numpy()
    r = ganbench.ppl(G, 30, distance=l2, sampling=sampling, ppl_lower=0.0, ppl_upper=1.0, progress=False)
    np.testing.assert_allclose(per_pair(r), want, rtol=1e-3)  # O(epsilon) finite difference
    assert r["ppl"] == pytest.approx(want.mean(), rel=1e-3)


def test_end_and_full_sampling_differ_as_defined():
    G = Linear()
    end = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="end", progress=False))
    full = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="full", progress=False))
    assert np.abs(end / full - 1).max() > 0.05  # a non-isometric A: the tangent at t differs from the one at 0
    # an isometry (A orthonormal columns) sees only the angle: end and full agree
    q = torch.linalg.qr(torch.randn(48, Z, generator=torch.Generator().manual_seed(2), dtype=torch.float64))[0]
    G.A.data = q
    end = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="end", progress=False))
    full = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="full", progress=False))
    np.testing.assert_allclose(end, full, rtol=1e-3)


@pytest.mark.parametrize("sampling", ["end", "full"])
def test_linear_generator_in_w_space_gives_the_closed_form(sampling):
    """lerp in w of a linear synthesis B: d_i = |B (w1 - w0)|^2 wherever t is."""
    G = Linear()
    z0, z1 = (z.double() for z in draws(0, 0, 30, Z)[:2])
    want = ((z1 - z0) @ G.M.detach().T @ G.B.detach().T).pow(2).sum(1).numpy()
    r = ganbench.ppl(G, 30, distance=l2, space="w", sampling=sampling, ppl_lower=0.0, ppl_upper=1.0, progress=False)
    np.testing.assert_allclose(per_pair(r), want, rtol=1e-8)


def test_trimming_is_the_references_and_torchmetrics_is_an_option():
    d = np.arange(200, dtype=np.float64) ** 2  # 1% of 199 = 1.99 -> index 1 ("lower"); 99% = 197.01
    ref = sum(i * i for i in range(1, 199)) / 198  # "higher" -> 198 (the reference)
    tm = sum(i * i for i in range(1, 198)) / 197  # "lower" -> 197 (torchmetrics)
    assert trimmed_mean(d, {}) == pytest.approx(ref, rel=1e-15)
    assert trimmed_mean(d, {"ppl_quantiles": "torchmetrics"}) == pytest.approx(tm, rel=1e-15)
    assert trimmed_mean(d, {"ppl_lower": 0.0, "ppl_upper": 1.0}) == pytest.approx(d.mean(), rel=1e-15)


def test_interval_is_a_seeded_bootstrap_of_the_trimmed_mean():
    d = np.random.default_rng(0).gamma(2.0, size=300)
    a = summarise(d, {"bootstrap": 200}, np.random.default_rng(1))
    b = summarise(d, {"bootstrap": 200}, np.random.default_rng(1))
    c = summarise(d, {"bootstrap": 200}, np.random.default_rng(2))
    assert a.ci == b.ci != c.ci and a.ci[0] < a.value < a.ci[1]
    assert summarise(d, {}, np.random.default_rng(1)).ci is None  # bootstrap 0: no interval


# ---------------------------------------------------------------------------------------------- StyleGAN2, seeds


def test_stylegan2_w_space_holds_the_noise_within_a_pair():
    from ganbench.baselines.stylegan2 import Generator
    from ganbench.streams import generator

    G = Generator(z_dim=16, w_dim=16, img_resolution=8, channel_base=256, channel_max=16, conv_clamp=4).eval()
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(1.0)  # noise that matters
    r = ganbench.ppl(G, 6, space="w", distance=l2, ppl_lower=0.0, ppl_upper=1.0, progress=False)
    assert np.isfinite(per_pair(r)).all() and r["ppl"] > 0
    # the control: other noise for the second image of each pair makes the 1e-4 step a jump
    z0, z1, t, _ = draws(0, 0, 6, 16)
    gens = [generator(0, "ppl_noise", i) for i in range(6)] + [generator(0, "ppl_noise", 100 + i) for i in range(6)]
    a, b = pair_images(G, z0, z1, t, None, {"ppl_space": "w"}, gens=gens)
    assert (l2(a, b).numpy() / 1e-8).min() > 1e3 * per_pair(r).max()


def test_seeded_draws_do_not_depend_on_the_batch_size():
    G = Linear()
    a = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="full", batch_size=30, progress=False))
    b = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="full", batch_size=7, progress=False))
    c = per_pair(ganbench.ppl(G, 30, distance=l2, sampling="full", seed=1, progress=False))
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert not np.allclose(a, c)


# ---------------------------------------------------------------------------------------------- paths, records


def test_evaluate_of_a_generator_routes_ppl_and_records_its_protocol(tmp_path, vgg):
    G = Tanh().eval()
    r = ganbench.evaluate(G, metrics=["ppl"], n=8, lpips_weights=vgg, bootstrap=50, progress=False)
    assert r.metrics["ppl"].ci is not None and r.warnings and "NOT the official LPIPS" in r.warnings[0]
    p = r.provenance
    assert p["weights"]["official"] is False and p["extractor"] == "lpips-vgg" and p["samples"]["count"] == 8
    assert {k: p["options"][k] for k in ("ppl_space", "ppl_sampling", "ppl_epsilon")} == {
        "ppl_space": "z",
        "ppl_sampling": "end",
        "ppl_epsilon": 1e-4,
    }
    assert p["samples"]["generator"]["state_sha256"] and p["lpips"]["lin"]["official"]
    r.to_json(tmp_path / "a.json")
    back = ganbench.records.load(tmp_path / "a.json")
    assert back["ppl"] == r["ppl"] and comparable(back, r) == []
    full = ganbench.ppl(G, 8, sampling="full", lpips_weights=vgg, progress=False)
    assert any("ppl_sampling" in why for why in comparable(r, full))


def test_ppl_errors_are_one_line(vgg):
    G = Tanh()
    cases = [
        (lambda: ganbench.ppl(G, 4, space="w", lpips_weights=vgg), "no mapping network"),
        (lambda: ganbench.ppl(G, 4, sampling="middle"), "expected end"),
        (lambda: ganbench.ppl(G, 1), "at least 2 pairs"),
        (lambda: ganbench.evaluate(G, metrics="ppl,fid", n=4), "ask for ppl alone"),
        (lambda: ganbench.evaluate(G, "cifar10", metrics=["ppl"], n=4), "reads no reference"),
        (lambda: ganbench.evaluate(np.zeros((4, 8, 8, 3), np.uint8), metrics=["ppl"]), "pass the generator"),
        (lambda: ganbench.ppl(lambda z: z, 4, z_dim=Z, distance=l2), "NCHW images"),
        (lambda: ganbench.Metrics(["ppl"]), "pass the generator"),
        (lambda: ganbench.ppl(G, 4, batch_size=0, distance=l2), "batch_size"),
    ]
    for call, words in cases:
        with pytest.raises(GanbenchError, match=words) as e:
            call()
        assert "\n" not in str(e.value)


def test_eval_of_a_stylegan2_run_folder_gives_ppl_in_z_and_w(cifar_excerpt, tmp_path, vgg):
    """`eval RUN --metrics ppl` on the CLI: the run's G (conditional: a class drawn per pair), z and w space."""
    from click.testing import CliRunner

    from ganbench.cli import cli

    out, data = tmp_path / "run", tmp_path / "lab.npz"
    np.savez(data, images=cifar_excerpt["train_images"][:16], labels=cifar_excerpt["train_labels"][:16])
    small = {"arch": "stylegan2-small", "z_dim": 16, "batch_size": 4, "g_batch_size": 4, "mbstd": 4}
    ganbench.train(
        "stylegan2-cond", out=out, data=data, key="images", labels="labels", steps=1, set=small, progress=False
    )
    args = ["eval", str(out), "--metrics", "ppl", "--n", "6", "--lpips-weights", vgg, "--json", "-"]
    records = {}
    for space in "zw":
        res = CliRunner().invoke(
            cli, [*args, "-O", f"ppl_space={space}", "-O", "ppl_sampling=full", "--bootstrap", "20"]
        )
        assert res.exit_code == 0, res.output
        records[space] = json.loads(res.output[res.output.index("{") :])
    for rec in records.values():
        assert rec["run"]["baseline"] == "stylegan2-cond" and rec["metrics"]["ppl"]["value"] > 0
        assert rec["provenance"]["options"]["ppl_sampling"] == "full" and rec["metrics"]["ppl"]["ci"]
        assert rec["provenance"]["samples"]["generator"]["num_classes"] == 10
    assert records["z"]["metrics"]["ppl"]["value"] != records["w"]["metrics"]["ppl"]["value"]
    res = CliRunner().invoke(cli, [*args[:-2], "--classes", "uniform"])
    assert res.exit_code != 0 and "leave --classes" in res.output


def test_compare_and_check_take_ppl_records_with_a_paired_bootstrap(tmp_path):
    from click.testing import CliRunner

    from ganbench.cli import cli
    from ganbench.gates.check import Limit, check
    from ganbench.gates.compare import compare

    G, H = Linear(), Linear()
    H.A.data = 1.2 * H.A.data  # 1.44 times the squared distances
    for name, g in (("a", G), ("b", H)):
        ganbench.ppl(g, 30, distance=l2, progress=False).to_json(tmp_path / f"{name}.json")
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    c = compare([a, b], metrics=["ppl"], bootstrap=100)
    (diff,) = c.pairs["ppl"]
    assert diff["diff"] == pytest.approx(0.44 * c.values["ppl"][0]["value"], rel=1e-9)
    assert diff["ci"][0] > 0 and diff["p"] < 0.05  # the same latents: paired, so the scale-up is seen
    assert compare([a, b], metrics=["ppl"], bootstrap=100).pairs == c.pairs  # seeded
    assert not check(b, baseline=a, limits=[Limit("ppl", "change", 0.1)], bootstrap=100).passed
    assert check(b, baseline=a, limits=[Limit("ppl", "change", 100.0)], bootstrap=100).passed
    res = CliRunner().invoke(cli, ["check", b, "--baseline", a, "--max-increase", "ppl=0.1"])
    assert res.exit_code == 1 and "FAIL ppl" in res.output
    full = tmp_path / "full.json"
    ganbench.ppl(G, 30, distance=l2, sampling="full", progress=False).to_json(full)
    with pytest.raises(GanbenchError, match="ppl_sampling"):
        compare([a, str(full)], metrics=["ppl"], bootstrap=100)
    with pytest.raises(GanbenchError, match="alone"):
        compare([a, b], metrics=["ppl", "fid"], bootstrap=100)


def test_ganbench_list_shows_ppl_in_a_fresh_process():
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "ganbench", "list", "metrics"]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert out.returncode == 0 and any(line.split()[:1] == ["ppl"] for line in out.stdout.splitlines())
    assert "ppl_space=z" in out.stdout


@pytest.mark.parametrize("config", ["z_end_nocrop", "z_full_crop", "w_end_crop", "w_full_nocrop"])
def test_per_pair_distances_equal_stylegan2_ada_pplsampler(config, monkeypatch):
    """NVlabs' PPLSampler on the same small StyleGAN2 G and draws (benchmarks/reference/ppl_fixture.py; pixel L2
    stands in for its LPIPS): its slerp in z, lerp in w, t, crop and [0, 255] scaling against ganbench's."""
    import ganbench.path_length as pl
    from ganbench.baselines.stylegan2 import Generator

    ref = np.load(Path(__file__).parent / "data" / "ppl_reference.npz")
    G = Generator(z_dim=16, w_dim=16, img_resolution=16, channel_base=256, channel_max=16, conv_clamp=4).eval()
    G.load_state_dict({k[2:]: torch.from_numpy(ref[k]) for k in ref.files if k.startswith("G.")})
    z0, z1, t = (torch.from_numpy(ref[f"{config}.{k}"]) for k in ("z0", "z1", "t"))
    monkeypatch.setattr(pl, "draws", lambda *a, **k: (z0, z1, t, None))
    space, sampling, crop = config.split("_")
    r = ganbench.ppl(G, len(t), space=space, sampling=sampling, crop=crop == "crop", distance=l2, progress=False)
    np.testing.assert_allclose(per_pair(r), ref[f"{config}.dist"], rtol=RTOL_FLOAT32)
