"""The unrolled GAN objective (Metz et al. 2017): K = 0 is the plain generator step bit for bit, the
look-ahead is torch's Adam step, and nothing of the look-ahead reaches the real discriminator."""

import copy
import dataclasses

import pytest
import torch

from ganbench.baselines import ARCHITECTURES
from ganbench.errors import GanbenchError
from ganbench.train import losses, options
from ganbench.train.data import open_data
from ganbench.train.loop import Trainer
from ganbench.train.objectives import unrolled
from ganbench.train.session import resolve_config

SMALL = {"data": "ring", "batch_size": 32, "z_dim": 8}


def _trainer(**sets) -> Trainer:
    _base, cfg = resolve_config("toy-mlp", {**SMALL, **sets})
    return Trainer(cfg, open_data("ring", ARCHITECTURES.get(cfg["arch"]).shape), seed=3)


def _d(tr: Trainer, s: int) -> dict:
    tr.ctx.step = s
    return tr.run_phase(tr.objective.phases(s)[0])


def _g(tr: Trainer, s: int, look_ahead: bool = False) -> dict:
    """The generator phase of step `s`: the plain one, or (look_ahead) the unrolled one whatever K is."""
    tr.ctx.step = s
    phase = tr.objective.phases(s)[-1]
    if look_ahead:
        phase = dataclasses.replace(phase, loss=unrolled.g_loss)
    return tr.run_phase(phase)


def _state(tr: Trainer) -> list:
    out = [t.detach().clone() for t in list(tr.nets.G.state_dict().values()) + list(tr.nets.D.state_dict().values())]
    for opt in (tr.nets.opt_g, tr.nets.opt_d):
        for st in opt.state.values():
            out += [v.detach().clone() if torch.is_tensor(v) else torch.tensor(float(v)) for v in st.values()]
    return out


def test_k0_is_the_plain_generator_step_bit_for_bit():
    plain, unrolled0 = _trainer(), _trainer()
    for s in range(4):
        _d(plain, s)
        _d(unrolled0, s)
        a = _g(plain, s)
        b = _g(unrolled0, s, look_ahead=True)  # cfg unrolled=0: the look-ahead path with no step
        assert a == b
    assert all(torch.equal(x, y) for x, y in zip(_state(plain), _state(unrolled0)))


def test_the_option_routes_the_generator_step():
    tr = _trainer(unrolled=2)
    before = [p.detach().clone() for p in tr.nets.G.parameters()]
    stats = tr.train_step()
    assert set(stats) >= {"loss_g", "grad_norm_g", "loss_d"}
    assert any(not torch.equal(a, b) for a, b in zip(before, tr.nets.G.parameters()))


def test_look_ahead_does_not_leak_into_the_real_discriminator():
    tr = _trainer(unrolled=3)
    _d(tr, 0)
    D, opt = tr.nets.D, tr.nets.opt_d
    params = [p.detach().clone() for p in D.parameters()]
    moments = [{k: (v.clone() if torch.is_tensor(v) else v) for k, v in opt.state[p].items()} for p in D.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in D.parameters()]
    _g(tr, 0)
    assert all(torch.equal(a, b) for a, b in zip(params, D.parameters()))
    for before, p in zip(moments, D.parameters()):
        assert all(torch.equal(torch.as_tensor(before[k]), torch.as_tensor(opt.state[p][k])) for k in before)
    for before, p in zip(grads, D.parameters()):
        assert (before is None and p.grad is None) or torch.equal(before, p.grad)


def test_one_look_ahead_step_is_torch_adams_step():
    """D^1 from the look-ahead equals what torch.optim.Adam makes of a copy of D on the same batch."""
    tr = _trainer(unrolled=1)
    for _ in range(3):  # Adam moments and step count that are not at their start
        tr.train_step()
    s, cfg = tr.step, tr.cfg
    G, D = tr.nets.G, tr.nets.D

    def gen(z, y):
        return G(z)

    ahead = unrolled.look_ahead(tr.ctx, s, 1, gen)
    D2 = copy.deepcopy(D)
    opt2 = torch.optim.Adam(D2.parameters(), lr=cfg["lr_d"], betas=(cfg["beta1"], cfg["beta2"]))
    opt2.load_state_dict(tr.nets.opt_d.state_dict())
    x, _y = tr.data.batch(tr.seed, s * cfg["n_dis"], cfg["batch_size"])
    with torch.no_grad():
        fake = G(tr.ctx.z(cfg["batch_size"], "z_d", s, 0))
    loss = losses.d_loss(cfg["loss"], D2(x, None), D2(fake, None))
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    for name, p in D2.named_parameters():
        torch.testing.assert_close(ahead[name].detach(), p.detach(), rtol=1e-5, atol=1e-7)


def test_the_generator_gradient_goes_through_the_look_ahead():
    """K > 0 changes G's step (the second-order term): same draws, different update from K = 0."""
    a, b = _trainer(unrolled=0), _trainer(unrolled=4)
    for tr in (a, b):
        _d(tr, 0)
    sa, sb = _g(a, 0, look_ahead=True), _g(b, 0)
    assert sa["loss_g"] != sb["loss_g"]
    assert any(not torch.equal(p, q) for p, q in zip(a.nets.G.parameters(), b.nets.G.parameters()))


def test_unrolled_is_deterministic():
    a, b = _trainer(unrolled=2), _trainer(unrolled=2)
    assert [a.train_step() for _ in range(2)] == [b.train_step() for _ in range(2)]


def test_unrolled_with_a_penalty_is_a_clear_error():
    with pytest.raises(GanbenchError, match="gp"):
        resolve_config("toy-mlp", {**SMALL, "unrolled": 2, "gp": 1})
    with pytest.raises(GanbenchError, match="unrolled"):
        resolve_config("toy-mlp", {**SMALL, "unrolled": -1})


def test_unrolled_at_its_default_keeps_earlier_config_hashes():
    _b, cfg = resolve_config("toy-mlp", SMALL)
    old = {k: v for k, v in cfg.items() if k != "unrolled"}  # a run recorded before the option existed
    assert options.config_hash(cfg) == options.config_hash(old)
    assert options.differing(cfg, old) == ()
    assert options.differing({**cfg, "unrolled": 5}, old) == ("unrolled",)


def test_minimax_generator_loss_is_the_saturating_one():
    out = torch.tensor([-2.0, 0.0, 3.0])
    torch.testing.assert_close(losses.g_loss("minimax", out), torch.log(1 - torch.sigmoid(out)).mean())
    torch.testing.assert_close(losses.d_loss("minimax", out, -out), losses.d_loss("bce", out, -out))


def test_unrolled_over_several_processes_is_a_clear_error():
    _base, cfg = resolve_config("toy-mlp", {**SMALL, "unrolled": 2})
    with pytest.raises(GanbenchError, match="one process"):
        Trainer(cfg, open_data("ring", ARCHITECTURES.get(cfg["arch"]).shape), seed=0, world=2, rank=0)
