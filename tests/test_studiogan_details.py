"""PyTorch-StudioGAN's training details that biggan.toml now sets (issue 22): Adam's eps (adam_eps), flips
of the real images (hflip), and the EMA of G's BN statistics (ema_buffers=average); every other baseline's
config hash unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganbench
from ganbench.baselines import BASELINES
from ganbench.errors import GanbenchError
from ganbench.train import models
from ganbench.train.data import TrainData
from ganbench.train.options import config_hash, differing, resolve

NEW = ("adam_eps", "ema_buffers", "hflip", "lr_step_factor")  # lr_step_factor: srgan's schedule (test_lr_step)


@pytest.mark.parametrize("name", sorted(n for n, b in BASELINES.items() if n == b["name"]))
def test_earlier_config_hashes_stay_and_biggan_differs_by_the_three_options(name):
    cfg = resolve(BASELINES.get(name)["train"])
    old = {k: v for k, v in cfg.items() if k not in NEW}  # a run recorded before the options existed
    if name == "biggan":
        assert (cfg["adam_eps"], cfg["ema_buffers"], cfg["hflip"]) == (1e-6, "average", True)
        assert differing(cfg, old) == NEW[:3] and config_hash(cfg) != config_hash(old)
    else:
        assert config_hash(cfg) == config_hash(old) and differing(cfg, old) == ()


def _images(n=16):
    x = np.random.default_rng(0).integers(0, 256, (n, 4, 4, 3), dtype=np.uint8)
    return TrainData("x", "images", (3, 4, 4), images=x)


def test_hflip_mirrors_about_half_of_each_batch_the_same_way_every_time():
    data = _images()
    plain = [data.batch(0, i, 16)[0] for i in range(8)]
    data.hflip = True
    flipped = [data.batch(0, i, 16)[0] for i in range(8)]
    mirrored = []
    for p, f in zip(plain, flipped):
        same = (f == p).flatten(1).all(1)
        mirror = (f == p.flip(3)).flatten(1).all(1)
        assert bool((same | mirror).all())  # each image is itself or its mirror, nothing else
        mirrored.append(mirror & ~same)
    rate = torch.cat(mirrored).float().mean().item()
    assert 0.35 < rate < 0.65  # 128 draws of p 0.5
    assert all(torch.equal(a, data.batch(0, i, 16)[0]) for i, a in enumerate(flipped))  # counter-based
    assert not all(torch.equal(a, b) for a, b in zip(mirrored, mirrored[1:]))  # a draw per batch


def test_ema_buffers_average_lerps_bn_statistics_and_copies_the_batch_count():
    G, G_ema = torch.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    G.train()
    G(torch.randn(8, 3, 2, 2, generator=torch.Generator().manual_seed(0)) * 3 + 1)
    before = G_ema.running_mean.clone(), G_ema.running_var.clone()
    models.update_ema(G, G_ema, 0.9, "average")
    # StudioGAN's Ema.update written out: b_ema <- b.lerp(b_ema, decay) (here b_ema.lerp_(b, 1 - decay), as
    # the weights); num_batches_tracked copied
    torch.testing.assert_close(
        G_ema.running_mean, G.running_mean.lerp(before[0], 0.9), rtol=1e-6, atol=0
    )  # up to rounding
    torch.testing.assert_close(
        G_ema.running_var, G.running_var.lerp(before[1], 0.9), rtol=1e-6, atol=0
    )  # up to rounding
    assert int(G_ema.num_batches_tracked) == int(G.num_batches_tracked) == 1
    assert not torch.equal(G_ema.running_mean, G.running_mean)
    models.update_ema(G, G_ema, 0.9)  # the default copies, as before
    assert torch.equal(G_ema.running_mean, G.running_mean) and torch.equal(G_ema.running_var, G.running_var)


@pytest.fixture(scope="module")
def tiny(cifar_excerpt, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train16.npz"
    np.savez(path, cifar_excerpt["train_images"][:16])
    return path


def _train(data, out, **options):
    small = {"batch_size": 4, "g_batch_size": 4, **options}
    ganbench.train("dcgan", out=out, data=data, steps=1, set=small, progress=False)
    from test_train import _tensors

    return _tensors(out)


def test_the_options_reach_training(tiny, tmp_path):
    base = _train(tiny, tmp_path / "a")
    flipped = _train(tiny, tmp_path / "b", hflip="true")
    eps = _train(tiny, tmp_path / "c", adam_eps="1e-6")
    d = [k for k in base if k.startswith("D.") and base[k].is_floating_point()]
    assert any(not torch.equal(base[k], flipped[k]) for k in d)  # D saw other (mirrored) real images
    assert any(not torch.equal(base[k], eps[k]) for k in d)
    assert _eps(tmp_path / "c") == {1e-6} and _eps(tmp_path / "a") == {1e-8}  # in what a resume restores


def _eps(run):
    from ganbench.train import checkpoint

    _, meta = checkpoint.load(checkpoint.path_for(run, checkpoint.list_steps(run)[-1]))
    return {g["eps"] for o in meta["optimizers"].values() for g in o["param_groups"]}


def test_bad_uses_are_one_line(tiny, tmp_path):
    with pytest.raises(GanbenchError, match="hflip=true flips the real images of a noise-to-image model; --data ring"):
        ganbench.train("toy-mlp", out=tmp_path / "r", data="ring", steps=1, set={"hflip": "true"}, progress=False)
    with pytest.raises(GanbenchError, match=r"adam_eps=1e-06 is Adam's: --set optimizer=adam"):
        _train(tiny, tmp_path / "w", optimizer="rmsprop", adam_eps="1e-6")
    with pytest.raises(GanbenchError, match="adam_eps belongs to objective=adversarial"):
        resolve({**BASELINES.get("stylegan2")["train"], "adam_eps": 1e-6})
    with pytest.raises(GanbenchError, match="ema_buffers"):
        resolve({**BASELINES.get("dcgan")["train"], "ema_buffers": "mean"})
