"""Each baseline's architecture equals its reference layer for layer (issue 11): parameter counts
against the numbers the reference implementations give, and, for torch-mimicry's networks (installed
by the test command with --no-deps), outputs equal to theirs with the same weights."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest
import torch
from click.testing import CliRunner

from ganbench.baselines import ARCHITECTURES, BASELINES, apply_spectral_norm, count_params
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train.options import resolve

# (G, D) as the reference code builds them: pytorch-gan-collections@860e90b source/models/*.py run as
# published (Generator32(z_dim), Discriminator32(); ResGenerator32 / ResDiscriminator32), and
# torch-mimicry 0.1.16's SNGANGenerator32 / SNGANDiscriminator32 / WGANGP*32 with their defaults.
REFERENCE_COUNTS = {
    "dcgan": (11429632, 4309441),  # pytorch-gan-collections dcgan.py Generator32(100), Discriminator32()
    "lsgan": (11429632, 4309441),
    "wgan-gp": (3813379, 5860865),  # wgangp.py Generator32(128), Discriminator32()
    "sngan": (3584003, 5860865),  # sngan.py Generator32(100), Discriminator32()
    "sngan-resnet": (
        4276739,
        1053825,
    ),  # torch-mimicry sngan_32 (pytorch-gan-collections' res32 D: 1053824, no head bias)
    "wgan-gp-resnet": (4276739, 1053825),  # torch-mimicry wgan_gp_32
    "cgan-pd": (4304387, 1055105),  # torch-mimicry cgan_pd_32 CGANPDGenerator32(10), CGANPDDiscriminator32(10)
    "biggan": (
        9416196,
        2415170,
    ),  # StudioGAN@947b35e big_resnet for configs/CIFAR10/BigGAN.yaml (benchmarks/reference/biggan_fixture.py)
    "pix2pix": (
        16659075,
        139585,
    ),  # junyanz/pytorch-CycleGAN-and-pix2pix@032e884 UnetGenerator(3, 3, 5, 64), NLayerDiscriminator(6, 64, 1)
    "cyclegan": (
        7837699,
        136385,
    ),  # same commit: ResnetGenerator(3, 3, 64, instance norm, n_blocks=6), NLayerDiscriminator(3, 64, 1, inst. norm)
}


def _paper_mlp_counts():
    # Metz et al. 2017 appendix A: G 256 -> 128 -> 128 -> 2, D 2 -> 128 -> 1 (weights + biases)
    g = (256 * 128 + 128) + (128 * 128 + 128) + (128 * 2 + 2)
    d = (2 * 128 + 128) + (128 + 1)
    return g, d


def _conv8_counts():
    g = (100 * 2048 + 2048) + 2 * 128 + (128 * 64 * 16 + 64) + 2 * 64 + (64 * 3 * 9 + 3)
    d = (3 * 64 * 16 + 64) + (64 * 128 * 9 + 128) + (2048 + 1)
    return g, d


def _built(name, num_classes=10):
    """A baseline's G and D as training builds them; a conditional one for `num_classes` (CIFAR-10's)."""
    cfg = resolve(BASELINES.get(name)["train"])
    arch = ARCHITECTURES.get(cfg["arch"])
    G, D = arch.build(cfg["z_dim"], num_classes=num_classes if cfg["conditional"] else 0)
    if cfg["spectral_norm"]:
        apply_spectral_norm(D, embeddings=arch.conditional)
    return cfg, G, D


@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_parameter_counts_equal_the_reference_implementations(name):
    _cfg, G, D = _built(name)
    assert (count_params(G), count_params(D)) == REFERENCE_COUNTS[name]
    params = BASELINES.get(name)["source"]["params"]
    assert (params["G"], params["D"]) == REFERENCE_COUNTS[name]  # what `ganbench list` shows is the same


def test_toy_architectures_follow_their_layer_lists():
    _c, G, D = _built("toy-mlp")
    assert (count_params(G), count_params(D)) == _paper_mlp_counts() == (49666, 513)
    _c, G, D = _built("toy-mlp-wgan-gp")  # gan_toy.py: 2 -> 3x 512 ReLU -> 2; D 2 -> 3x 512 ReLU -> 1
    wide = (2 * 512 + 512) + 2 * (512 * 512 + 512)
    assert (count_params(G), count_params(D)) == (wide + 512 * 2 + 2, wide + 512 + 1)
    assert (BASELINES.get("toy-mlp-wgan-gp")["source"]["params"]["G"], count_params(D)) == (count_params(G), 527361)
    _c, G, D = _built("toy-conv")
    assert (count_params(G), count_params(D)) == _conv8_counts()
    x = G(torch.randn(4, 100))
    assert x.shape == (4, 3, 8, 8) and D(x).shape == (4, 1)


def test_every_baseline_names_its_source_and_generates_its_shape():
    for name, b in BASELINES.items():
        src = b["source"]
        assert src["paper"] and src["implementation"] and src["hyperparameters"], name
        cfg, G, D = _built(name)
        arch = ARCHITECTURES.get(cfg["arch"])
        G.eval()
        y = (torch.tensor([0, 9]),) if cfg["conditional"] else ()
        if "scale" in arch.extra:  # super-resolution: G(small image) -> arch.shape, D(image) -> one logit
            with torch.no_grad():
                x = G(torch.rand((2, 3) + tuple(d // arch.extra["scale"] for d in arch.shape[1:])) * 2 - 1)
            assert tuple(x.shape[1:]) == arch.shape and D(x).shape == (2, 1)
            continue
        if arch.paired:  # image-to-image: G(input image), D(input and output) -> one logit per patch
            with torch.no_grad():
                inp = torch.rand((2,) + arch.shape) * 2 - 1
                if hasattr(G, "to_model"):  # the colourisation model: L* in, a*, b* out, D sees both
                    m = G.to_model(inp)
                    out = G(m)
                    x, shown = G.to_rgb(m, out), torch.cat([m, out], 1)
                else:
                    x = G(inp)
                    shown = x if arch.extra.get("unpaired") else torch.cat([inp, x], 1)  # CycleGAN's D: one image
            assert tuple(x.shape[1:]) == arch.shape and D(shown).shape[:2] == (2, 1)
            continue
        with torch.no_grad():
            x = G(torch.randn(2, cfg["z_dim"]), *y)
        assert tuple(x.shape[1:]) == arch.shape and D(x, *y).shape == (2, 1)
        assert float(x.abs().max()) <= 1.0 or arch.kind == "points" or not arch.bounded


def _mimicry():
    spec = None if "torch_mimicry" in sys.modules else importlib.util.find_spec("torch_mimicry")
    if spec is None and "torch_mimicry" not in sys.modules:
        pytest.fail(
            "torch-mimicry is missing: the test command installs it with `pip install --no-deps torch-mimicry==0.1.16`"
        )
    if "torch_mimicry" not in sys.modules:  # its __init__ imports tensorflow; the nets need torch only
        pkg = types.ModuleType("torch_mimicry")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["torch_mimicry"] = pkg
    from torch_mimicry.nets.sngan import sngan_32
    from torch_mimicry.nets.wgan_gp import wgan_gp_32

    return sngan_32, wgan_gp_32


def _copy_weights(src: torch.nn.Module, dst: torch.nn.Module) -> None:
    """Parameters and buffers in definition order; the shapes must match one for one."""
    sp, dp = list(src.parameters()), list(dst.parameters())
    assert [p.shape for p in sp] == [p.shape for p in dp]
    sb, db = list(src.buffers()), list(dst.buffers())
    assert [b.shape for b in sb] == [b.shape for b in db]
    with torch.no_grad():
        for a, b in zip(sp + sb, dp + db):
            b.copy_(a)


@pytest.mark.reference
@pytest.mark.parametrize("baseline", ["sngan-resnet", "wgan-gp-resnet"])
def test_resnets_compute_what_torch_mimicry_computes(baseline):
    sngan_32, wgan_gp_32 = _mimicry()
    torch.manual_seed(0)
    if baseline == "sngan-resnet":
        theirs_g, theirs_d = sngan_32.SNGANGenerator32(), sngan_32.SNGANDiscriminator32()
    else:
        theirs_g, theirs_d = wgan_gp_32.WGANGPGenerator32(), wgan_gp_32.WGANGPDiscriminator32()
    _cfg, G, D = _built(baseline)
    assert count_params(theirs_g) == count_params(G) and count_params(theirs_d) == count_params(D)
    _copy_weights(theirs_g, G)
    _copy_weights(theirs_d, D)
    for m in (theirs_g, G, theirs_d, D):
        m.eval()  # spectral norm: the stored u, no power-iteration update; BN: running statistics
    z = torch.randn(4, 128)
    with torch.no_grad():
        x_theirs, x_ours = theirs_g(z), G(z)
        torch.testing.assert_close(x_ours, x_theirs, rtol=0, atol=1e-6)
        torch.testing.assert_close(D(x_theirs), theirs_d(x_theirs.clone()), rtol=1e-5, atol=1e-5)


@pytest.mark.reference
def test_cgan_pd_computes_what_torch_mimicry_computes():
    """G in train mode (conditional BN on batch statistics) and eval mode (running statistics); D in train
    mode, where torch-mimicry's own SpectralNorm of l5 and the projection and torch's do the same one power
    iteration from the same stored u (in eval mode they differ: see ganbench/baselines/cgan_pd.py)."""
    _mimicry()
    from torch_mimicry.nets.cgan_pd import cgan_pd_32

    torch.manual_seed(0)
    theirs_g, theirs_d = cgan_pd_32.CGANPDGenerator32(num_classes=10), cgan_pd_32.CGANPDDiscriminator32(num_classes=10)
    _cfg, G, D = _built("cgan-pd")
    assert (count_params(theirs_g), count_params(theirs_d)) == (count_params(G), count_params(D))
    _copy_weights(theirs_g, G)
    # D by name: the body's parameters and torch spectral-norm buffers, l5 -> head, l_y -> the projection
    # embedding, whose u comes from torch-mimicry's sn_u (its sn_sigma is an output, not an input)
    ours = dict(D.named_parameters()) | dict(D.named_buffers())
    names = {
        "l5.weight": "head.weight_orig",
        "l5.bias": "head.bias",
        "l_y.weight": "embed.weight_orig",
        "l5.sn_u": "head.weight_u",
        "l_y.sn_u": "embed.weight_u",
    }
    copied = set()
    with torch.no_grad():
        for n, t in list(theirs_d.named_parameters()) + list(theirs_d.named_buffers()):
            if n.endswith("sn_sigma"):
                continue
            target = names.get(n, "body." + n)
            ours[target].copy_(t.view(ours[target].shape))
            copied.add(target)
    assert set(ours) - copied == {"head.weight_v", "embed.weight_v"}  # recomputed from u in train mode
    z, y = torch.randn(6, 128), torch.tensor([0, 3, 9, 3, 1, 7])
    for mode in ("train", "eval"):
        for m in (theirs_g, G):
            m.train(mode == "train")
        with torch.no_grad():
            x_theirs, x_ours = theirs_g(z, y), G(z, y)
        torch.testing.assert_close(x_ours, x_theirs, rtol=0, atol=1e-6)
    theirs_d.train()
    D.train()
    with torch.no_grad():
        out_theirs, out_ours = theirs_d(x_theirs.clone(), y), D(x_theirs, y)
    torch.testing.assert_close(out_ours, out_theirs, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(D(x_theirs, (y + 1) % 10), out_ours)  # the projection reads the class


def test_cgan_pd_is_class_conditional_only():
    cfg = resolve(BASELINES.get("cgan-pd")["train"])
    with pytest.raises(GanbenchError, match="cgan-pd-resnet32 is class-conditional: train it with conditional=true"):
        ARCHITECTURES.get(cfg["arch"]).build(cfg["z_dim"])


def test_options_are_validated_with_the_valid_ones_listed():
    base = BASELINES.get("dcgan")["train"]
    with pytest.raises(GanbenchError, match="unknown option 'emma'.*valid options are arch, data, loss"):
        resolve(base, {"emma": "0.9"})
    with pytest.raises(GanbenchError, match=r"--set: ema=2 is not valid; ema takes a number in \[0, 1\)"):
        resolve(base, {"ema": "2"})
    with pytest.raises(GanbenchError, match="loss=l2 is not valid; loss takes bce | lsgan"):
        resolve(base, {"loss": "l2"})
    with pytest.raises(GanbenchError, match="label_smoothing applies to the bce and lsgan losses"):
        resolve(base, {"loss": "hinge", "label_smoothing": "0.1"})
    cfg = resolve(base, {"ema": "0.999", "label_smoothing": "0.1", "n_dis": "2", "spectral_norm": "true"})
    assert (cfg["ema"], cfg["label_smoothing"], cfg["n_dis"], cfg["spectral_norm"]) == (0.999, 0.1, 2, True)


def test_list_shows_baselines_with_their_sources():
    out = CliRunner().invoke(cli, ["list", "baselines"])
    assert out.exit_code == 0, out.output
    for name in (
        "dcgan",
        "lsgan",
        "wgan-gp",
        "wgan-gp-resnet",
        "sngan",
        "sngan-resnet",
        "cgan-pd",
        "toy-mlp",
        "toy-conv",
        "toy-mlp-wgan-gp",
    ):
        assert f"  {name} " in out.output
    assert "Miyato" in out.output and "torch-mimicry 0.1.16" in out.output and "pytorch-gan-collections" in out.output
    out = CliRunner().invoke(cli, ["list", "options"])
    assert "label_smoothing" in out.output and "mbstd" in out.output


def test_cpu_sized_variants_are_the_reference_layers_at_a_quarter_width():
    """dcgan-small / sngan-small: every layer of the cited network with channels / 4, counted by hand."""

    def conv(cin, cout, k, bias=False):
        return cin * cout * k * k + (cout if bias else 0)

    g = (
        conv(100, 256, 2)
        + 512
        + conv(256, 128, 4)
        + 256
        + conv(128, 64, 4)
        + 128
        + conv(64, 32, 4)
        + 64
        + conv(32, 3, 4)
    )
    d = conv(3, 16, 5) + conv(16, 32, 5) + 64 + conv(32, 64, 5) + 128 + conv(64, 128, 5) + 256 + (2 * 2 * 128 + 1)
    _cfg, G, D = _built("dcgan-small")
    assert (count_params(G), count_params(D)) == (g, d)
    spec = [(3, 16, 3), (16, 32, 4), (32, 32, 3), (32, 64, 4), (64, 64, 3), (64, 128, 4), (128, 128, 3)]
    d = sum(conv(a, b, k, bias=True) for a, b, k in spec) + 4 * 4 * 128 + 1
    g = (
        (100 * 4 * 4 * 128 + 4 * 4 * 128)
        + 256
        + conv(128, 64, 4, True)
        + 128
        + conv(64, 32, 4, True)
        + 64
        + conv(32, 16, 4, True)
        + 32
        + conv(16, 3, 3, True)
    )
    _cfg, G, D = _built("sngan-small")
    assert (count_params(G), count_params(D)) == (g, d)
