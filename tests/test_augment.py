"""DiffAugment and ADA against their reference implementations (tests/data/augment_reference.npz, written
by benchmarks/reference/augment_fixture.py from data-efficient-gans and stylegan2-ada-pytorch on the same
images, with the global RNG seeded as ganbench seeds its generator), and ADA's controller."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.errors import GanbenchError
from ganbench.train import augment
from ganbench.train.augment import Ada, DiffAugment
from ganbench.train.augment.ada_pipe import TRANSFORMS, Pipe
from ganbench.train.augment.draws import Draws

REF = np.load(Path(__file__).parent / "data" / "augment_reference.npz")
# Measured on CPU: 0 (bit for bit) everywhere; the tolerance leaves room for other CPUs' float kernels.
TOL = 1e-5


def _images():
    x = torch.from_numpy(REF["images_u8"]).permute(0, 3, 1, 2).float() / 127.5 - 1
    small = x[:4, :, 8:24, 4:28].contiguous()
    return x, small


def _gen(key):
    return torch.Generator().manual_seed(int(REF[key + "_seed"]))


def _close(key, y):
    """Within TOL of the reference, relative to its largest value where that exceeds 1 (the gradients reach
    ~12: float32 summation order, which differs between CPU kernels, moves them by ~3e-5 on a Xeon)."""
    err = np.abs(y.detach().numpy() - REF[key]).max()
    assert err <= TOL * max(1.0, float(np.abs(REF[key]).max())), f"{key}: max |ganbench - reference| = {err}"


@pytest.mark.reference
@pytest.mark.parametrize("part", ["color", "translation", "cutout"])
def test_diffaugment_each_part_equals_reference(part):
    _, small = _images()
    _close(f"da_{part}", DiffAugment(part)(small, _gen(f"da_{part}")))


@pytest.mark.reference
@pytest.mark.parametrize("policy", ["translation,cutout", "color,translation,cutout"])
def test_diffaugment_policies_equal_reference(policy):
    x, _ = _images()
    _close(f"da_{policy}", DiffAugment(policy)(x, _gen(f"da_{policy}")))


@pytest.mark.reference
@pytest.mark.parametrize("p", [1.0, 0.5])
def test_ada_bgc_equals_reference(p):
    x, _ = _images()
    key = f"ada_bgc_p{p:g}"
    y = Ada("bgc", p=p)(x, _gen(key))
    _close(key, y)
    assert (y - x).abs().max() > 0.5  # it did augment


@pytest.mark.reference
def test_ada_grayscale_equals_reference():
    _, small = _images()
    _close("ada_bgc_gray_p1", Ada("bgc", p=1.0)(small.mean(dim=1, keepdim=True), _gen("ada_bgc_gray_p1")))


@pytest.mark.reference
@pytest.mark.parametrize("name", TRANSFORMS)
def test_ada_each_transform_equals_reference(name):
    _, small = _images()
    key = f"ada_{name}_p1"
    _close(key, Pipe((name,))(small, 1.0, Draws(_gen(key), len(small), 0, None, small.device, whole=True)))


@pytest.mark.reference
def test_ada_p0_is_identity_and_equals_reference():
    _, small = _images()
    y = Ada("bgc", p=0.0)(small, _gen("ada_bgc_p0"))
    _close("ada_bgc_p0", y)
    # at p = 0 the geometric path still runs (as in the reference): identity up to the sym6 round trip
    assert (y - small).abs().max() < 1e-5


@pytest.mark.reference
def test_gradients_flow_and_equal_reference():
    x, _ = _images()
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    xg = x.clone().requires_grad_(True)
    (Ada("bgc", p=1.0)(xg, _gen("ada_bgc_p1_grad")) * w).sum().backward()
    _close("ada_bgc_p1_grad", xg.grad)
    xd = x.clone().requires_grad_(True)
    (DiffAugment()(xd, torch.Generator().manual_seed(1)) * w).sum().backward()
    assert torch.isfinite(xd.grad).all() and xd.grad.abs().sum() > 0


@pytest.mark.parametrize("aug", [DiffAugment(), Ada("bgc", p=0.7)], ids=["diffaugment", "ada"])
def test_a_slice_of_the_global_batch_gets_the_same_numbers(aug):
    """A rank augmenting rows 2:6 of a global batch of 8 gets what one process gives those rows."""
    x, _ = _images()
    whole = aug(x, torch.Generator().manual_seed(3))
    part = aug(x[2:6], torch.Generator().manual_seed(3), start=2, total=8)
    assert torch.allclose(part, whole[2:6], atol=1e-6, rtol=0)


def test_build_registry_and_errors():
    x, _ = _images()
    none = augment.build({})
    assert none(x, torch.Generator()) is x and none.state() == {}
    assert isinstance(augment.build({"augment": "diffaugment"}), DiffAugment)
    ada = augment.build({"augment": "ada", "ada_target": 0.5, "ada_interval": 2, "ada_kimg": 100})
    assert (ada.p, ada.target, ada.interval, ada.kimg, ada.pipe_name) == (0.0, 0.5, 2, 100.0, "bgc")
    for cfg in (
        {"augment": "mixup"},
        {"augment": "diffaugment", "diffaugment_policy": "color,blur"},
        {"augment": "ada", "ada_pipe": "bgcfnc"},
        {"augment": "ada", "ada_target": 2},
    ):
        with pytest.raises(GanbenchError):
            augment.build(cfg)


def test_controller_known_answers():
    """batch 64, interval 4, kimg 500: each interval moves p by 64 * 4 / 500,000 = 0.000512 (float32)."""
    ada = Ada(target=0.6, interval=4, kimg=500)
    step = float(np.float32(0.000512))
    pos, neg = torch.ones(64), -torch.ones(64)
    for _ in range(3):
        ada.observe(pos)
        ada.step(64)
    assert ada.p == 0.0  # mid-interval: no change yet
    ada.observe(pos)
    ada.step(64)
    assert ada.p == step
    for _ in range(36):  # nine more intervals with D(real) > 0 everywhere: r_t = 1 > 0.6
        ada.observe(pos)
        ada.step(64)
    assert ada.p == pytest.approx(10 * 0.000512, rel=1e-6)
    exact = torch.tensor([2.0, 0.5, 1.0, 3.0, -1.0])  # r_t = (4 - 1) / 5 = 0.6, the target: no change
    before = ada.p
    for _ in range(4):
        ada.observe(exact)
        ada.step(64)
    assert ada.p == before
    for _ in range(11 * 4):  # D(real) < 0: p falls by the same steps and stops at 0
        ada.observe(neg)
        ada.step(64)
    assert ada.p == 0.0
    for _ in range(4):  # no observations in an interval: p holds
        ada.step(64)
    assert ada.p == 0.0


def test_state_round_trip_resumes_bit_exact():
    x, _ = _images()
    a = Ada(interval=4, kimg=1)
    logits = torch.linspace(-1, 6, 16)  # 13 positive, 3 negative: r_t = 0.625
    for _ in range(6):  # one adjustment, then half an interval
        a.observe(logits)
        a.step(16)
    saved = json.loads(json.dumps(a.state()))  # goes into checkpoint meta as JSON
    b = Ada(interval=4, kimg=1)
    b.restore(saved)
    assert b.state() == a.state() and b.p > 0
    for _ in range(2):
        a.observe(logits), b.observe(logits)
        a.step(16), b.step(16)
    assert a.p == b.p and a.p > saved["p"]
    assert torch.equal(a(x, torch.Generator().manual_seed(5)), b(x, torch.Generator().manual_seed(5)))
    with pytest.raises(GanbenchError):
        Ada().restore({"p": 0.1})


def test_p_rises_on_a_discriminator_that_overfits_a_tiny_set():
    """A small D trained (BCE) to tell 8 real images from noise, seeing them through ADA: D(real) turns
    positive, r_t passes the target and the controller raises p from 0."""
    torch.manual_seed(0)
    x, _ = _images()
    d = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 4, 2, 1),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(16, 32, 4, 2, 1),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 8 * 8, 1),
    )
    opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    ada = Ada(target=0.6, interval=4, kimg=0.1)  # fast controller: 8 * 4 / 100 = 0.32 per interval
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ps, rts = [], []
    for step in range(48):
        g = torch.Generator().manual_seed(step)
        fake = torch.rand(x.shape, generator=g) * 2 - 1
        real_logits = d(ada(x, g)).flatten()
        fake_logits = d(ada(fake, g)).flatten()
        loss = bce(real_logits, torch.ones(8)) + bce(fake_logits, torch.zeros(8))
        opt.zero_grad()
        loss.backward()
        opt.step()
        ada.observe(real_logits)
        if ada.rt is not None:
            rts.append(ada.rt)
        ada.step(8)
        ps.append(ada.p)
    assert max(rts) > 0.6
    assert ps[0] == 0.0 and ps[-1] > 0.3
