"""The biggan baseline (issue 22): StudioGAN's CIFAR-10 BigGAN. Its parameter counts are the reference's,
its forward pass equals the reference's with the same weights (tests/data, written by
benchmarks/reference/biggan_fixture.py from StudioGAN's own classes), G and D read the class, and the
orthogonal regulariser adds the gradient BigGAN-PyTorch's utils.ortho adds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import ganbench
from ganbench.baselines import ARCHITECTURES, BASELINES, apply_spectral_norm, count_params
from ganbench.baselines.biggan import networks
from ganbench.train.options import config_hash, differing, resolve
from ganbench.train.regularizers import ortho_, ortho_penalty

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
DATA = Path(__file__).parent / "data"
RECORD = json.loads((DATA / "biggan_fixture.json").read_text())


def test_parameter_counts_equal_studiogans():
    """The reference's counts as benchmarks/reference/biggan_fixture.py read them from StudioGAN's classes."""
    ref = RECORD["full"]["params"]["reference"]
    assert RECORD["commit"] == BASELINES.get("biggan")["source"]["commit"]
    cfg = resolve(BASELINES.get("biggan")["train"])
    G, D = ARCHITECTURES.get(cfg["arch"]).build(cfg["z_dim"], num_classes=10)
    apply_spectral_norm(D, embeddings=True)  # as training builds it: every layer already has it
    assert (count_params(G), count_params(D)) == (ref["G"], ref["D"]) == (9416196, 2415170)
    assert BASELINES.get("biggan")["source"]["params"] == ref
    # spectral norm with StudioGAN's eps everywhere but G's shared embedding; the hierarchical latent
    sn = {
        n: m
        for n, m in list(G.named_modules()) + [("D." + n, m) for n, m in D.named_modules()]
        if hasattr(m, "weight_orig")
    }
    assert "shared" not in sn and {"D.head", "D.embed", "linear", "blocks.0.b1.gain", "attention.o"} <= set(sn)
    assert all(m._forward_pre_hooks[next(iter(m._forward_pre_hooks))].eps == 1e-6 for m in sn.values())
    assert G.blocks[0].b1.gain.weight_orig.shape == (384, 128 + 20)
    # the full-size comparison the script made (the weights are too big to commit)
    assert RECORD["full"]["max_abs_diff"] == {"G_eval": 0.0, "D_eval": 0.0, "G_train": 0.0, "D_train": 0.0}


@pytest.fixture(scope="module")
def small():
    t = load_file(str(DATA / "biggan_small.safetensors"))
    m = RECORD["small"]["model"]
    G, D = networks(m["z_dim"], 10, m["g_conv_dim"], m["d_conv_dim"], m["g_shared_dim"])
    G.load_state_dict({k[2:]: v for k, v in t.items() if k.startswith("G.")}, strict=True)
    D.load_state_dict({k[2:]: v for k, v in t.items() if k.startswith("D.")}, strict=True)
    assert (count_params(G), count_params(D)) == tuple(RECORD["small"]["params"]["reference"].values())
    return G, D, t


def test_forward_equals_studiogans_with_the_same_weights(small):
    """Eval mode (BN running statistics, stored spectral-norm vectors), then training mode (batch statistics,
    one power iteration) from the same state; the script found them bitwise equal on an AMD EPYC; on a Xeon
    (other float32 kernels, another summation order) one of 18,432 outputs differed by 1.01e-6: 5e-6 allows
    for that."""
    G, D, t = small
    for mode in ("eval", "train"):
        G.train(mode == "train")
        D.train(mode == "train")
        with torch.no_grad():
            torch.testing.assert_close(G(t["z"], t["y"]), t[f"G_{mode}"], rtol=0, atol=5e-6)
            torch.testing.assert_close(D(t["x"], t["y"]).view(-1), t[f"D_{mode}"], rtol=0, atol=1e-5)


def test_output_depends_on_the_label_and_every_latent_chunk(small):
    G, D, t = small
    G.eval()
    D.eval()
    z, y, x = t["z"], t["y"], t["x"]
    with torch.no_grad():
        base = G(z, y)
        assert (G(z, (y + 1) % 10) - base).abs().amax((1, 2, 3)).min() > 1e-3  # every sample moves
        for k in range(4):  # chunk 0 feeds the first linear layer, chunks 1..3 one block's BN each
            z2 = z.clone()
            z2[:, 5 * k : 5 * (k + 1)] += 1.0
            assert (G(z2, y) - base).abs().max() > 1e-3, k
        assert (D(x, (y + 1) % 10) - D(x, y)).abs().min() > 1e-4  # the projection reads the class


def test_ortho_known_answer():
    lin = torch.nn.Linear(2, 2, bias=True)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    lin.weight.grad = torch.full((2, 2), 10.0)
    lin.bias.grad = torch.zeros(2)
    ortho_(lin, 0.5)
    # W W^T = [[1, 1], [1, 2]], off-diagonal [[0, 1], [1, 0]]; 2 * 0.5 * that @ W = [[1, 1], [1, 0]]
    assert lin.weight.grad.tolist() == [[11.0, 11.0], [11.0, 10.0]]
    assert lin.bias.grad.tolist() == [0.0, 0.0]  # one axis: left alone
    assert float(ortho_penalty(lin).detach()) == 1.0  # 1/2 (1^2 + 1^2)


def test_ortho_is_the_gradient_of_half_the_penalty_and_skips_the_blacklist():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3), torch.nn.Embedding(4, 6), torch.nn.Linear(6, 7))
    emb = net[1].weight
    p_conv, p_lin = net[0].weight, net[2].weight
    ortho_penalty(net, blacklist=[emb]).mul(1e-2).backward()
    expected = {id(p): p.grad.clone() for p in (p_conv, p_lin)}
    assert emb.grad is None
    for p in net.parameters():
        p.grad = None
    p_conv.grad = torch.ones_like(p_conv)  # a loss gradient already there is added to; a missing one is created
    ortho_(net, 1e-2, blacklist=[emb])
    torch.testing.assert_close(p_conv.grad, 1 + expected[id(p_conv)], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(p_lin.grad, expected[id(p_lin)], rtol=1e-6, atol=1e-7)
    assert emb.grad is None and net[0].bias.grad is None


def test_ortho_reg_is_added_to_gs_gradients_in_the_g_phase():
    """The loop's G phase adds ortho_'s gradient (at the weights before the step) to the loss gradient, and
    leaves D alone; at its default the option is out of the config hash (earlier runs keep theirs)."""
    from ganbench.train.data import TrainData
    from ganbench.train.loop import Trainer

    rng = np.random.default_rng(0)
    data = TrainData(
        "t", "images", (3, 32, 32), rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, 16), 10
    )
    grads, before = {}, None
    for strength in (0.0, 0.05):
        cfg = resolve(
            BASELINES.get("cgan-pd")["train"], {"batch_size": 2, "g_batch_size": 2, "n_dis": 1, "ortho_reg": strength}
        )
        tr = Trainer(cfg, data, 0)
        w = {k: v.detach().clone() for k, v in tr.nets.G.named_parameters()}
        before = before or w
        assert all(torch.equal(w[k], before[k]) for k in w)
        tr.train_step()
        grads[strength] = {k: p.grad.clone() for k, p in tr.nets.G.named_parameters() if p.grad is not None}
        grads[f"D{strength}"] = {k: p.grad.clone() for k, p in tr.nets.D.named_parameters() if p.grad is not None}
    G = tr.nets.G
    ref = torch.nn.Module()
    for k, v in before.items():  # ortho_ at the pre-step weights, on copies
        ref.register_parameter(k.replace(".", "_"), torch.nn.Parameter(v.clone()))
    ortho_(ref, 0.05)
    added = {k: ref.get_parameter(k.replace(".", "_")).grad for k in before}
    checked = 0
    for k in grads[0.0]:
        if before[k].dim() >= 2:
            torch.testing.assert_close(grads[0.05][k], grads[0.0][k] + added[k], rtol=1e-5, atol=1e-7)
            checked += 1
        else:
            assert torch.equal(grads[0.05][k], grads[0.0][k])
    assert checked > 5 and G is tr.nets.G
    for k in grads["D0.0"]:
        assert torch.equal(grads["D0.0"][k], grads["D0.05"][k])
    cfg = resolve(BASELINES.get("biggan")["train"])
    assert cfg["ortho_reg"] == 0.0
    old = {k: v for k, v in cfg.items() if k != "ortho_reg"}  # a run recorded before the option existed
    assert config_hash(cfg) == config_hash(old) and differing(cfg, old) == ()


def test_biggan_trains_a_step_with_labels_and_samples_per_class(cifar_excerpt, tmp_path):
    """The full-size networks (the step and the 64-sample grid take ~20 s on one core)."""
    np.savez(tmp_path / "l.npz", images=cifar_excerpt["train_images"][:16], labels=cifar_excerpt["train_labels"][:16])
    out = tmp_path / "run"
    ganbench.train(
        "biggan",
        out=out,
        data=tmp_path / "l.npz",
        key="images",
        labels="labels",
        steps=1,
        set={"batch_size": 2, "g_batch_size": 2, "n_dis": 1, "ema_start": 0},
        progress=False,
    )
    meta = json.loads((out / "run.json").read_text())
    assert meta["config"]["arch"] == "biggan32" and meta["config"]["ema"] == 0.9999
    log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["kind"] == "train"] == [1]
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in log if r["kind"] == "train")
    samples, info = ganbench.sample(out, 2, classes=[3, 7], progress=False)
    assert info["labels"].tolist() == [3, 7] and samples.shape == (2, 32, 32, 3)


def test_biggan_killed_after_a_step_resumes_to_the_weights_of_an_unbroken_run(cifar_excerpt, tmp_path, monkeypatch):
    """Full size (no --set shrinks its widths), 2 steps of n_dis 2 with EMA and its BN copies from step 0:
    a run stopped by SIGTERM after step 1 and resumed ends with every checkpoint tensor byte-equal to a run
    of 2 steps in one go, and logs the same losses."""
    import signal

    from faults import StepSignal
    from test_train import _same, _tensors

    from ganbench.errors import GanbenchError
    from ganbench.train import checkpoint, grid

    monkeypatch.setattr(grid, "IMAGES", 4)  # full-size G on the 64-image grid was half the test's time
    np.savez(tmp_path / "l.npz", images=cifar_excerpt["train_images"][:8], labels=cifar_excerpt["train_labels"][:8])
    kw = {
        "data": tmp_path / "l.npz",
        "key": "images",
        "labels": "labels",
        "steps": 2,
        "set": {"batch_size": 2, "g_batch_size": 2, "n_dis": 2, "ema_start": 0},
        "checkpoint_every": 2,  # one grid a run: SIGTERM's checkpoint at step 1 draws none
        "progress": False,
    }
    ganbench.train("biggan", out=tmp_path / "full", **kw)
    with StepSignal(1, signal.SIGTERM), pytest.raises(GanbenchError, match="stopped by SIGTERM after step 1"):
        ganbench.train("biggan", out=tmp_path / "cut", **kw)
    assert checkpoint.list_steps(tmp_path / "cut") == [1]
    before = _tensors(tmp_path / "cut")
    ganbench.train(resume=tmp_path / "cut", progress=False)
    full, cut = _tensors(tmp_path / "full"), _tensors(tmp_path / "cut")
    _same(full, cut)
    for prefix in ("G.", "G_ema.", "D."):  # step 2 moved every network: the equality is not that of step 1's
        assert any(not torch.equal(before[k], cut[k]) for k in cut if k.startswith(prefix)), prefix
    assert any(k.startswith("G_ema.") and "running_mean" in k for k in cut)  # the EMA's BN statistics too

    def losses(run):
        lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        return [(r["step"], r["loss_d"], r["loss_g"]) for r in lines if r["kind"] == "train"]

    assert losses(tmp_path / "full") == losses(tmp_path / "cut") and len(losses(tmp_path / "cut")) == 2
