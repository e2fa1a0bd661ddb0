"""The objectives interface and the stylegan2 objective (issue 22), on a tiny stand-in G/D with the
reference's network interface (G.mapping / G.synthesis / D(img, c)): lazy phases run at their intervals
only, losses equal hand computations, the EMA and Adam follow the reference's rules, every image D sees
passes the augmentation hook, and a run killed mid-way resumes to identical weights."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import ganbench
from ganbench.baselines import ARCHITECTURES
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, loop, streams
from ganbench.train.data import open_data
from ganbench.train.options import resolve


class TinyG(nn.Module):
    """A few hundred weights with StyleGAN2's interface: mapping z -> ws [N, num_ws, w_dim] (w_avg
    tracked when update_emas), synthesis ws -> [N, 3, 32, 32] with a random noise input."""

    def __init__(self, z_dim: int, c_dim: int = 0):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, 4, 3
        self.map = nn.Linear(z_dim + c_dim, self.w_dim)
        self.layers = nn.ModuleList(nn.Linear(self.w_dim, 3 * 4 * 4) for _ in range(self.num_ws))
        self.noise_strength = nn.Parameter(torch.full([], 0.1))
        self.register_buffer("w_avg", torch.zeros(self.w_dim))

    def mapping(self, z, c, truncation_psi=1, truncation_cutoff=None, update_emas=False):
        w = F.leaky_relu(self.map(z if c is None or c.shape[1] == 0 else torch.cat([z, c], 1)), 0.2)
        if update_emas:
            self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, 0.995))
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)
        return self.w_avg.lerp(ws, truncation_psi) if truncation_psi != 1 else ws

    def synthesis(self, ws, noise_mode="random"):
        h = sum(layer(ws[:, i]) for i, layer in enumerate(self.layers)).view(-1, 3, 4, 4)
        if noise_mode == "random":  # the global RNG, as the reference's noise inputs: the objective seeds it
            h = h + self.noise_strength * torch.randn_like(h)
        return torch.tanh(F.interpolate(h, scale_factor=8))

    def forward(self, z, c=None, **kw):
        return self.synthesis(self.mapping(z, torch.zeros(len(z), 0) if c is None else c, **kw))


class TinyD(nn.Module):
    def __init__(self, c_dim: int = 0):
        super().__init__()
        self.fc = nn.Linear(3 * 4 * 4, 1)

    def forward(self, img, c=None):
        return self.fc(F.avg_pool2d(img, 8).flatten(1))


TINY = types.SimpleNamespace(
    name="tiny-style",
    kind="images",
    shape=(3, 32, 32),
    conditional=False,
    build=lambda z_dim, mbstd_group=0, mbdisc_kernels=0, num_classes=0: (TinyG(z_dim, num_classes), TinyD(num_classes)),
)
if "tiny-style" not in ARCHITECTURES.names():
    ARCHITECTURES.add("tiny-style", TINY)

SG2 = {
    "arch": "tiny-style",
    "objective": "stylegan2",
    "z_dim": 4,
    "batch_size": 8,
    "g_batch_size": 8,
    "steps": 12,
    "lr_g": 0.0025,
    "lr_d": 0.0025,
    "beta1": 0.0,
    "beta2": 0.99,
    "r1": 0.5,
    "pl_weight": 2.0,
    "style_mixing": 0.9,
    "d_reg_interval": 4,
    "g_reg_interval": 2,
    "ema_kimg": 0.01,
    "ema_rampup": 0.05,
}


@pytest.fixture(scope="module")
def images(cifar_excerpt, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train32.npz"
    np.savez(path, cifar_excerpt["train_images"][:32])
    return path


def _trainer(images, augment=None, **sets):
    cfg = resolve({**SG2, "data": str(images), **sets})
    return loop.Trainer(cfg, open_data(str(images), TINY.shape), seed=1, augment=augment)


def test_lazy_phases_run_only_at_their_intervals_and_their_stats_only_then(images):
    tr = _trainer(images)
    ran = []
    real = tr.run_phase
    tr.run_phase = lambda phase, index=0: (ran.append((tr.step, phase.name)), real(phase, index))[1]
    keys = [set(tr.train_step()) for _ in range(9)]
    assert [s for s, n in ran if n == "Dreg"] == [0, 4, 8]
    assert [s for s, n in ran if n == "Greg"] == [0, 2, 4, 6, 8]
    assert [s for s, n in ran if n == "Gmain"] == list(range(9)) == [s for s, n in ran if n == "Dmain"]
    assert [n for s, n in ran if s == 4] == ["Gmain", "Greg", "Dmain", "Dreg"]  # the reference's order
    assert all(("r1_penalty" in k) == (s % 4 == 0) and ("pl_penalty" in k) == (s % 2 == 0) for s, k in enumerate(keys))
    assert all({"loss_d", "loss_g", "d_real", "d_fake"} <= k for k in keys)


def test_adam_gets_the_lazy_mb_ratio_and_the_ema_beta_follows_kimg_and_rampup(images):
    tr = _trainer(images)
    g, d = tr.nets.opt_g.param_groups[0], tr.nets.opt_d.param_groups[0]
    assert g["lr"] == pytest.approx(0.0025 * 2 / 3) and g["betas"] == pytest.approx((0.0, 0.99 ** (2 / 3)))
    assert d["lr"] == pytest.approx(0.0025 * 4 / 5) and d["betas"] == pytest.approx((0.0, 0.99 ** (4 / 5)))
    assert g["eps"] == 1e-8
    tr.train_step()
    assert g["lr"] == pytest.approx(0.0025 * 2 / 3)  # the schedule scales the lazy-adjusted rate
    obj = tr.objective
    assert obj.ema_decay(0) == 0.0  # nothing seen yet: G_ema = G
    # 10 images of half-life, ramped: min(10, s * 8 * 0.05) images
    assert obj.ema_decay(5) == pytest.approx(0.5 ** (8 / 2.0))
    assert obj.ema_decay(100) == pytest.approx(0.5 ** (8 / 10.0))
    for p, q in zip(tr.nets.G.parameters(), tr.nets.G_ema.parameters()):
        assert torch.equal(p, q)  # after step 0, beta 0 copies


def test_main_losses_equal_a_hand_computation(images):
    tr = _trainer(images, style_mixing=0.0)
    ctx = tr.ctx

    def sp(v):  # softplus
        return math.log1p(math.exp(v))

    real, fake = [0.0, 2.0, -1.0, 0.5, 1.0, -3.0, 0.25, 4.0], [-1.0, 1.0, 0.0, 2.0, -2.0, 0.5, 3.0, -0.5]
    ctx.f = {
        **ctx.f,
        "D": lambda img, c: torch.tensor(
            real if torch.equal(img, ctx.local(ctx.data.batch(ctx.seed, ctx.step, 8)[0])) else fake
        ).view(-1, 1),
    }
    loss, stats = tr.objective.d_main(ctx)
    hand = sum(sp(v) for v in fake) / 8 + sum(sp(-v) for v in real) / 8
    assert float(loss.detach()) == pytest.approx(hand, rel=1e-6) and stats["loss_d"] == pytest.approx(hand, rel=1e-6)
    assert stats["d_real"] == pytest.approx(sum(1 / (1 + math.exp(-v)) for v in real) / 8, rel=1e-6)
    loss, stats = tr.objective.g_main(ctx)
    assert float(loss.detach()) == pytest.approx(sum(sp(-v) for v in fake) / 8, rel=1e-6)


def test_r1_and_path_length_equal_a_hand_computation(images):
    tr = _trainer(images, style_mixing=0.0)
    ctx = tr.ctx
    ctx.step = 4
    a = torch.linspace(-1, 1, 3 * 32 * 32).view(1, 3, 32, 32)  # D(x) = <a, x>: grad a everywhere
    ctx.f = {**ctx.f, "D": lambda img, c: (img * a).sum([1, 2, 3]).view(-1, 1)}
    loss, stats = tr.objective.d_reg(ctx)
    r1 = float(a.square().sum())
    assert stats["r1_penalty"] == pytest.approx(r1, rel=1e-5)
    assert float(loss.detach()) == pytest.approx(0.5 / 2 * r1 * 4, rel=1e-5)  # gamma / 2, times the interval 4

    # path length of a synthesis that is linear in ws before tanh: J^T y by hand through the chain rule
    G = tr.nets.G
    with torch.no_grad():
        G.noise_strength.zero_()
    z = ctx.z(4, "z_g", 4, 1)
    ws = G.mapping(z, torch.zeros(4, 0))
    img = G.synthesis(ws)
    y = torch.randn((4, 3, 32, 32), generator=streams.generator(1, "pl_noise", 4)) / 32.0
    up = (y * (1 - img.detach() ** 2)).view(4, 3, 4, 8, 4, 8).sum((3, 5)).view(4, 48)  # d/dh of <y, tanh(up8(h))>
    jt = torch.stack([up @ layer.weight for layer in G.layers], 1)  # [N, num_ws, w_dim]
    lengths = jt.square().sum(2).mean(1).sqrt()
    pl_mean = 0.01 * lengths.mean()  # from 0, pl_decay 0.01
    expect = ((lengths - pl_mean) ** 2).mean() * 2.0 * 2  # pl_weight 2, interval 2
    loss, stats = tr.objective.g_reg(ctx)
    assert float(loss.detach()) == pytest.approx(float(expect.detach()), rel=1e-4)
    assert stats["pl_mean"] == pytest.approx(float(pl_mean.detach()), rel=1e-5)
    assert tr.state() == {"objective": {"pl_mean": stats["pl_mean"]}}


class Counting:
    """An augmentation stand-in with the interface train/augment/ implements: __call__(x, draws),
    observe(real_logits), state()/restore(), end_step(step)."""

    def __init__(self):
        self.calls, self.observed, self.p = [], 0, 0.0

    def __call__(self, x, draws):
        self.calls.append(x.shape[0])
        return x + 0.01 * draws.randn(x.shape[0], *x.shape[1:])

    def observe(self, logits):
        self.observed += logits.numel()

    def end_step(self, step):
        self.p = round(self.p + 0.125, 6)

    def state(self):
        return {"p": self.p}

    def restore(self, state):
        self.p = state["p"]


def test_every_image_d_sees_passes_the_augmentation_and_its_draws_are_seeded(images):
    a, b = Counting(), Counting()
    ta, tb = _trainer(images, augment=a), _trainer(images, augment=b)
    sa, sb = ta.train_step(), tb.train_step()
    assert sa == sb  # the draws come from streams, not the global RNG
    # step 0: Gmain 1 fake, Greg none (G only), Dmain fake + real, Dreg real
    assert a.calls == [8, 8, 8, 8] and a.observed == 16 and a.p == 0.125
    assert ta.state()["augment"] == {"p": 0.125}
    tb.restore({"augment": {"p": 0.5}})
    assert b.p == 0.5
    # and the adversarial objective: D phase real + fake (+ R1), G phase fake
    c = Counting()
    cfg = resolve({"arch": "mlp-2d", "data": "ring", "batch_size": 16, "g_batch_size": 16, "z_dim": 4, "r1": 1.0})
    loop.Trainer(cfg, open_data("ring", (2,)), seed=0, augment=c).train_step()
    assert c.calls == [16, 16, 16, 16] and c.observed == 16


def test_after_step_hook_clips_wgan_weights():
    cfg = resolve(
        {
            "arch": "mlp-2d",
            "data": "ring",
            "loss": "wasserstein",
            "batch_size": 16,
            "z_dim": 4,
            "weight_clip": 0.01,
            "lr_d": 0.1,
        }
    )
    tr = loop.Trainer(cfg, open_data("ring", (2,)), seed=0)
    tr.train_step()
    assert max(float(p.detach().abs().max()) for p in tr.nets.D.parameters()) == pytest.approx(0.01)


def test_objective_options_are_checked_in_one_line(images):
    with pytest.raises(GanbenchError, match="objective.*adversarial.*stylegan2"):
        resolve({"arch": "dcgan-cnn32", "objective": "nope"})
    with pytest.raises(GanbenchError, match="pl_weight belongs to objective=stylegan2"):
        resolve({"arch": "dcgan-cnn32", "pl_weight": 2.0})
    with pytest.raises(GanbenchError, match="does not use gp"):
        _trainer(images, gp=10.0)
    from ganbench.train.objectives import get

    with pytest.raises(GanbenchError, match="unknown objective 'nope'"):
        get("nope")


def _tensors(run):
    tensors, meta = checkpoint.load(checkpoint.path_for(run, checkpoint.list_steps(run)[-1]))
    return tensors, meta


def test_a_run_killed_mid_way_resumes_to_identical_weights_and_pl_mean(images, tmp_path, monkeypatch):
    toml = tmp_path / "tiny-sg2.toml"
    train = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in {**SG2, "data": str(images)}.items())
    toml.write_text(f'name = "tiny-sg2"\ndescription = "test"\n[train]\n{train}\n[source]\npaper = "test"\n')
    kw = dict(steps=7, checkpoint_every=3, checkpoint_minutes=0, progress=False, log_every=1)
    ganbench.train(str(toml), out=tmp_path / "whole", **kw)
    step = loop.Trainer.train_step

    def killed_at_5(self):
        if self.step == 5:
            raise KeyboardInterrupt  # a kill: nothing written after the checkpoint of step 3
        return step(self)

    monkeypatch.setattr(loop.Trainer, "train_step", killed_at_5)
    with pytest.raises(KeyboardInterrupt):
        ganbench.train(str(toml), out=tmp_path / "cut", **kw)
    assert checkpoint.list_steps(tmp_path / "cut") == [3]
    monkeypatch.setattr(loop.Trainer, "train_step", step)
    ganbench.train(resume=tmp_path / "cut", progress=False)
    (a, ma), (b, mb) = _tensors(tmp_path / "whole"), _tensors(tmp_path / "cut")
    assert sorted(a) == sorted(b) and any(k.startswith("G_ema.") for k in a)
    for k in a:
        assert a[k].numpy().tobytes() == b[k].numpy().tobytes(), k
    assert ma["objective"]["pl_mean"] == mb["objective"]["pl_mean"] > 0
    mid, _ = checkpoint.load(checkpoint.path_for(tmp_path / "cut", 3))
    assert not all(torch.equal(mid[k], a[k]) for k in a)  # the resumed part trained
