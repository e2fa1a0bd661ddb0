"""WGAN with weight clipping (Arjovsky et al. 2017) and the classic options beside it (issue 27, section 1):
the `wgan` baseline trains, its critic stays in [-c, c] after every critic step, the authors' critic
schedule runs the D steps it says on unique batches, a killed run resumes bit for bit; loss=minimax, l1 and
optimizer=rmsprop compute what their formulas say; the networks equal WassersteinGAN's classes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

import ganbench
from ganbench.baselines import ARCHITECTURES, BASELINES, Critic, count_params
from ganbench.baselines.wgan import Generator, body
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.train import checkpoint, loop, losses, options
from ganbench.train.data import open_data
from ganbench.train.session import resolve_config

pytestmark = pytest.mark.usefixtures("one_thread")

FIXTURE = Path(__file__).parent / "data" / "wgan_small.safetensors"  # benchmarks/reference/wgan_fixture.py
# the wgan baseline's options on the 2-D ring with Metz et al.'s small MLPs: the schedule, clipping and
# RMSProp at a cost of milliseconds per critic step
TOY = {"arch": "mlp-2d", "data": "ring", "z_dim": 4, "batch_size": 16, "g_batch_size": 16}


@pytest.fixture(scope="module")
def images(cifar_excerpt, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train32.npz"
    np.savez(path, cifar_excerpt["train_images"][:32])
    return path


def _trainer(baseline="wgan", seed=3, **sets) -> loop.Trainer:
    _base, cfg = resolve_config(baseline, {**TOY, **sets})
    return loop.Trainer(cfg, open_data(cfg["data"], ARCHITECTURES.get(cfg["arch"]).shape), seed=seed)


def _d_params(tr) -> list:
    return [p.detach().clone() for p in tr.nets.D.parameters()]


# -- the networks -------------------------------------------------------------------------------------------
def test_parameter_counts_equal_the_reference_and_the_toml():
    cfg = resolve_config("wgan")[1]
    G, D = ARCHITECTURES.get(cfg["arch"]).build(cfg["z_dim"])
    # DCGAN_G(32, 100, 3, 64): ConvT 100->256 (4x4), 256->128, 128->64, 64->3, BN on 256, 128, 64 (scale+shift)
    g = 100 * 256 * 16 + 256 * 128 * 16 + 128 * 64 * 16 + 64 * 3 * 16 + 2 * (256 + 128 + 64)
    # DCGAN_D(32, 100, 3, 64): Conv 3->64, 64->128, 128->256 (4x4), BN on 128, 256, last conv 256->1 (4x4)
    d = 3 * 64 * 16 + 64 * 128 * 16 + 128 * 256 * 16 + 2 * (128 + 256) + 256 * 16
    params = BASELINES.get("wgan")["source"]["params"]
    assert (count_params(G), count_params(D)) == (g, d) == (params["G"], params["D"]) == (1068928, 663296)
    ref = json.loads((Path(__file__).parents[1] / "benchmarks" / "results" / "wgan_reference.json").read_text())
    assert (ref["full"]["isize32"]["params"]["G"], ref["full"]["isize32"]["params"]["D"]) == (g, d)
    assert not any(
        m.bias is not None
        for m in list(G.modules()) + list(D.modules())
        if hasattr(m, "bias") and not isinstance(m, torch.nn.BatchNorm2d)
    )


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_forward_equals_wassersteingans_classes_on_copied_weights(mode):
    """DCGAN_G(32, 8, 3, 8) / DCGAN_D(32, 8, 3, 8) outputs from the committed fixture; their D returns the
    batch mean, this critic one number per sample."""
    t = load_file(str(FIXTURE))
    G, (b, features) = Generator(8, size=32, width=8), body(32, width=8)
    D = Critic(b, features, head_bias=False)
    G.load_state_dict({k[len("small32.G.") :]: v for k, v in t.items() if k.startswith("small32.G.")})
    D.load_state_dict({k[len("small32.D.") :]: v for k, v in t.items() if k.startswith("small32.D.")})
    G.train(mode == "train"), D.train(mode == "train")
    with torch.no_grad():
        g, d = G(t["small32.z"]), D(t["small32.x"])
    assert d.shape == (3, 1)
    torch.testing.assert_close(g, t[f"small32.G_{mode}"], rtol=0, atol=1e-6)
    torch.testing.assert_close(d.mean(0), t[f"small32.D_{mode}"], rtol=1e-5, atol=1e-7)


# -- the baseline trains, clipped after every critic step -----------------------------------------------------
def _watch_d_phases(monkeypatch):
    """Records (step, max |w| of D) after every D phase the loop runs, and the G phases' steps."""
    seen = {"D": [], "G": []}
    real = loop.Trainer.run_phase

    def run_phase(self, phase, index=0):
        stats = real(self, phase, index)
        if phase.name == "D":
            seen["D"].append((self.step, max(float(p.detach().abs().max()) for p in self.nets.D.parameters())))
        else:
            seen["G"].append(self.step)
        return stats

    monkeypatch.setattr(loop.Trainer, "run_phase", run_phase)
    return seen


def test_wgan_trains_and_its_critic_stays_clipped_after_every_critic_step(images, tmp_path, monkeypatch):
    """The baseline's networks and options on CIFAR images; n_critic 5 from the start (the authors' 100 early
    critic steps are the schedule's test, on the toy networks, to keep this one short)."""
    seen = _watch_d_phases(monkeypatch)
    summary = ganbench.train(
        "wgan",
        out=tmp_path / "r",
        data=images,
        steps=3,
        progress=False,
        set={"batch_size": 4, "g_batch_size": 4, "critic_schedule": "constant"},
    )
    assert summary["step"] == 3 and np.isfinite(summary["last"]["loss_d"]) and np.isfinite(summary["last"]["loss_g"])
    assert [s for s, _ in seen["D"]] == [0] * 5 + [1] * 5 + [2] * 5 and seen["G"] == [0, 1, 2]
    assert all(m <= 0.01 for _, m in seen["D"]) and max(m for _, m in seen["D"]) == pytest.approx(0.01)
    run = json.loads((tmp_path / "r" / "run.json").read_text())["config"]
    assert (run["arch"], run["optimizer"], run["weight_clip"], run["lr_d"]) == ("wgan-dcgan32", "rmsprop", 0.01, 5e-5)
    tensors, _meta = checkpoint.load(checkpoint.path_for(tmp_path / "r", 3))
    assert (
        max(
            float(v.abs().max())
            for k, v in tensors.items()
            if k.startswith("D.") and "running" not in k and "num_batches" not in k
        )
        <= 0.01
    )


def test_the_clip_check_can_fail_without_clipping(monkeypatch):
    seen = _watch_d_phases(monkeypatch)
    tr = _trainer(weight_clip=0.0, critic_schedule="constant", lr_d=1e-2)
    tr.train_step()
    assert len(seen["D"]) == 5 and all(m > 0.01 for _, m in seen["D"])
    seen["D"].clear()
    tr = _trainer(critic_schedule="constant", lr_d=1e-2)
    tr.train_step()
    assert len(seen["D"]) == 5 and all(m <= 0.01 for _, m in seen["D"])


# -- the critic schedule ----------------------------------------------------------------------------------
def _count(tr, steps) -> tuple:
    """D phases and the data batches D drew at each of `steps` (run out of order: the schedule is a
    function of the step alone)."""
    phases, batches = {}, {}
    real_batch, real_phase = tr.data.batch, tr.run_phase
    tr.data.batch = lambda seed, index, n: (batches.setdefault(tr.step, []).append(index), real_batch(seed, index, n))[
        1
    ]
    tr.run_phase = lambda phase, index=0: (
        phases.__setitem__(tr.step, phases.get(tr.step, 0) + (phase.name == "D")),
        real_phase(phase, index),
    )[1]
    for s in steps:
        tr.step = s
        tr.train_step()
    return phases, batches


def test_the_wgan_schedule_runs_100_critic_steps_early_and_every_500th_on_unique_batches():
    tr = _trainer(n_dis=5)
    steps = [0, 1, 24, 25, 26, 499, 500, 501, 1000]
    phases, batches = _count(tr, steps)
    assert phases == {0: 100, 1: 100, 24: 100, 25: 5, 26: 5, 499: 5, 500: 100, 501: 5, 1000: 100}
    total, start = 0, {}
    for s in range(1001):  # the batch index D's first step of `s` draws: every earlier step's D steps summed
        start[s] = total
        total += 100 if s < 25 or s % 500 == 0 else 5
    assert all(batches[s] == list(range(start[s], start[s] + phases[s])) for s in steps)
    assert start[25] == 2500 and start[500] == 2500 + 475 * 5 and start[501] == start[500] + 100


def test_the_constant_schedule_draws_the_batches_it_always_did():
    """step * n_dis + j, as before critic_schedule existed; and the option at its default leaves the config
    hash of every earlier run unchanged."""
    tr = _trainer(baseline="toy-mlp", n_dis=3)
    phases, batches = _count(tr, [0, 1, 7, 500])
    assert phases == {0: 3, 1: 3, 7: 3, 500: 3}
    assert batches == {s: [3 * s, 3 * s + 1, 3 * s + 2] for s in (0, 1, 7, 500)}
    cfg = resolve_config("toy-mlp")[1]
    assert cfg["critic_schedule"] == "constant"
    assert options.config_hash(cfg) == options.config_hash({k: v for k, v in cfg.items() if k != "critic_schedule"})


# -- kill and resume --------------------------------------------------------------------------------------
def test_a_killed_wgan_run_resumes_to_identical_weights(tmp_path, monkeypatch):
    """The wgan options (100 critic steps a step here, from batch 200 on after the kill): RMSProp's state,
    clipping and the schedule's batch indices all resume exactly."""
    kw = dict(steps=4, checkpoint_every=2, checkpoint_minutes=0, progress=False, set=TOY)
    ganbench.train("wgan", out=tmp_path / "whole", **kw)
    step = loop.Trainer.train_step

    def killed_at_3(self):
        if self.step == 3:
            raise KeyboardInterrupt  # a kill: nothing written after the checkpoint of step 2
        return step(self)

    monkeypatch.setattr(loop.Trainer, "train_step", killed_at_3)
    with pytest.raises(KeyboardInterrupt):
        ganbench.train("wgan", out=tmp_path / "cut", **kw)
    assert checkpoint.list_steps(tmp_path / "cut") == [2]
    monkeypatch.setattr(loop.Trainer, "train_step", step)
    ganbench.train(resume=tmp_path / "cut", progress=False)
    a, _ = checkpoint.load(checkpoint.path_for(tmp_path / "whole", 4))
    b, _ = checkpoint.load(checkpoint.path_for(tmp_path / "cut", 4))
    assert sorted(a) == sorted(b) and any("square_avg" in k for k in a)  # RMSProp's state is in the checkpoint
    for k in a:
        assert a[k].numpy().tobytes() == b[k].numpy().tobytes(), k
    mid, _ = checkpoint.load(checkpoint.path_for(tmp_path / "cut", 2))
    assert not all(torch.equal(mid[k], a[k]) for k in a)  # the resumed part trained


# -- the losses on fixed tensors ----------------------------------------------------------------------------
def test_minimax_and_non_saturating_generator_losses_are_their_formulas():
    out = torch.tensor([[-10.0], [-1.0], [0.0], [2.5]], dtype=torch.float64)
    p = torch.sigmoid(out)
    torch.testing.assert_close(losses.g_loss("minimax", out), torch.log(1 - p).mean())  # Goodfellow et al. eq. 1
    torch.testing.assert_close(losses.g_loss("bce", out), -torch.log(p).mean())  # the non-saturating -log D
    # D is trained as with bce; the saturation: at D(G(z)) -> 0 the minimax gradient vanishes, -log D's does not
    assert torch.equal(losses.d_loss("minimax", out, -out), losses.d_loss("bce", out, -out))
    x = out.clone().requires_grad_(True)
    (g_mm,) = torch.autograd.grad(losses.g_loss("minimax", x), x)
    x = out.clone().requires_grad_(True)
    (g_ns,) = torch.autograd.grad(losses.g_loss("bce", x), x)
    torch.testing.assert_close(g_mm, -p / len(out))  # d/do log(1 - sigmoid(o)) = -sigmoid(o)
    torch.testing.assert_close(g_ns, -(1 - p) / len(out))
    assert abs(float(g_mm[0])) < 1e-4 < abs(float(g_ns[0]))


def test_l1_penalty_is_the_sum_of_absolute_weights():
    m = torch.nn.Linear(3, 2)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[1.0, -2.0, 0.5], [0.0, -0.25, 3.0]]))
        m.bias.copy_(torch.tensor([-1.5, 0.125]))
    assert float(losses.l1_penalty(m).detach()) == 1 + 2 + 0.5 + 0 + 0.25 + 3 + 1.5 + 0.125


def test_the_objectives_losses_add_l1_and_use_the_minimax_generator_loss():
    plain, l1 = _trainer(baseline="toy-mlp"), _trainer(baseline="toy-mlp", l1=0.5)
    for tr in (plain, l1):
        tr.ctx.step = 0
    a, stats_a = plain.objective.d_loss(plain.ctx, j=0)
    b, stats_b = l1.objective.d_loss(l1.ctx, j=0)
    penalty = sum(float(p.detach().abs().sum()) for p in l1.nets.D.parameters())
    assert float((b - a).detach()) == pytest.approx(0.5 * penalty, rel=1e-5) and penalty > 1
    assert stats_b["loss_d"] == pytest.approx(stats_a["loss_d"] + 0.5 * penalty, rel=1e-5)
    mm = _trainer(baseline="toy-mlp", loss="minimax")
    mm.ctx.step = 0
    loss, _stats = mm.objective.g_loss(mm.ctx)
    with torch.no_grad():  # the generator's batch of step 0, by hand
        out = mm.nets.D(mm.nets.G(mm.ctx.z(16, "z_g", 0)))
    assert float(loss.detach()) == pytest.approx(float(torch.log(1 - torch.sigmoid(out)).mean()), rel=1e-6)


# -- RMSProp ---------------------------------------------------------------------------------------------------
def test_rmsprop_is_torchs_rmsprop_step_by_hand():
    """Two critic steps of the wgan config (clip off, to see the step itself) against RMSProp written out:
    v <- alpha v + (1 - alpha) g^2, w <- w - lr g / (sqrt(v) + eps), alpha 0.99, eps 1e-8."""
    tr = _trainer(weight_clip=0.0, critic_schedule="constant")
    opt = tr.nets.opt_d
    assert isinstance(opt, torch.optim.RMSprop) and isinstance(tr.nets.opt_g, torch.optim.RMSprop)
    group = opt.param_groups[0]
    assert (group["lr"], group["alpha"], group["eps"], group["momentum"], group["centered"]) == (
        5e-5,
        0.99,
        1e-8,
        0,
        False,
    )
    hand = copy.deepcopy(tr)  # the same weights and draws
    d_phases = [p for p in tr.objective.phases(0) if p.name == "D"][:2]
    tr.ctx.step = hand.ctx.step = 0
    v = [torch.zeros_like(p) for p in hand.nets.D.parameters()]
    for j, phase in enumerate(d_phases):
        tr.run_phase(phase, j)
        params = list(hand.nets.D.parameters())
        loss, _ = hand.objective.d_loss(hand.ctx, j=j)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, vi in zip(params, grads, v):
                vi.mul_(0.99).addcmul_(g, g, value=0.01)
                p.addcdiv_(g, vi.sqrt().add_(1e-8), value=-5e-5)
    for a, b in zip(_d_params(tr), _d_params(hand)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)
    assert not all(torch.equal(a, b) for a, b in zip(_d_params(tr), _d_params(_trainer(weight_clip=0.0))))


# -- refused combinations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sets,words",
    [
        ({"optimizer": "rmsprop"}, "--set optimizer=adam"),
        ({"l1": 0.1}, "--set l1=0"),
        ({"critic_schedule": "wgan"}, "--set critic_schedule=constant"),
    ],
)
def test_unrolled_refuses_what_its_look_ahead_does_not_model_in_one_line(sets, words):
    with pytest.raises(GanbenchError, match=words) as e:
        options.resolve({"arch": "mlp-2d", "unrolled": 2, **sets})
    assert "\n" not in str(e.value)


def test_the_refusal_is_one_cli_line(tmp_path):
    res = CliRunner().invoke(cli, ["train", "wgan", "--out", str(tmp_path / "r"), "--set", "unrolled=2"])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("ganbench: error: unrolled=2")
    assert not (tmp_path / "r").exists()


def test_critic_schedule_is_an_adversarial_option():
    with pytest.raises(GanbenchError, match="critic_schedule belongs to objective=adversarial"):
        options.resolve({"arch": "dcgan-cnn32", "objective": "stylegan2", "critic_schedule": "wgan"})
    with pytest.raises(GanbenchError, match=re.escape("critic_schedule takes constant | wgan")):
        options.resolve({"arch": "dcgan-cnn32", "critic_schedule": "often"})


def test_the_issues_clip_and_g_loss_are_weight_clip_and_loss():
    """The issue's `clip=C` and `g_loss=minimax` are weight_clip and loss: unknown names are refused naming the
    valid ones."""
    with pytest.raises(GanbenchError, match="unknown option 'clip'.*weight_clip"):
        options.resolve({"arch": "mlp-2d"}, {"clip": "0.1"})
    cfg = options.resolve({"arch": "mlp-2d"}, {"weight_clip": "0.1", "loss": "minimax", "l1": "1e-3"})
    assert options.changed(cfg) == {
        "arch": "mlp-2d",
        "weight_clip": 0.1,
        "loss": "minimax",
        "l1": 1e-3,
        "g_batch_size": 64,
    }  # g_batch_size: 0 resolves to batch_size


def test_a_critic_step_draws_its_scheduled_batch_the_same_in_two_trainers():
    """Critic step j = 2 of generator step 30 under the wgan schedule reads data batch 2527 (25 x 100 + 5 x 5
    + 2), and its loss is the same number in two trainers of one seed (nothing but the step keys it)."""
    a = _trainer()
    b = _trainer()
    a.ctx.step = b.ctx.step = 30
    la, _ = a.objective.d_loss(a.ctx, j=2)
    lb, _ = b.objective.d_loss(b.ctx, j=2)
    assert torch.equal(la, lb)
    x_expected, _ = a.data.batch(a.seed, 2500 + 5 * 5 + 2, 16)  # 25 steps x 100, then steps 25..29 x 5
    seen = []
    real = b.data.batch
    b.data.batch = lambda seed, index, n: (seen.append(index), real(seed, index, n))[1]
    b.objective.d_loss(b.ctx, j=2)
    assert seen == [2527] and torch.equal(real(b.seed, 2527, 16)[0], x_expected)


def test_images_per_s_counts_the_critic_batches_the_schedule_runs(tmp_path):
    """The log's images_per_s is the real images D saw per second: 100 critic batches a step under the wgan
    schedule's early steps, n_dis otherwise (it once multiplied n_dis alone)."""
    sets = {"loss": "wasserstein", "weight_clip": 0.01, "batch_size": 8, "g_batch_size": 8, "n_dis": 2}
    rates = {}
    for schedule in ("wgan", "constant"):
        ganbench.train(
            "toy-mlp",
            out=tmp_path / schedule,
            data="ring",
            steps=2,
            progress=False,
            log_every=1,
            set={**sets, "critic_schedule": schedule},
        )
        recs = [json.loads(x) for x in (tmp_path / schedule / "metrics.jsonl").read_text().splitlines()]
        last = [r for r in recs if r["kind"] == "train"][-1]
        rates[schedule] = last["images_per_s"] / last["step_per_s"]  # images per generator step
    assert rates["wgan"] == pytest.approx(100 * 8, rel=1e-2) and rates["constant"] == pytest.approx(2 * 8, rel=1e-2)
