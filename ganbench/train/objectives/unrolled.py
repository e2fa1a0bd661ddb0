"""The unrolled GAN objective (Metz, Poole, Pfau, Sohl-Dickstein 2017, Unrolled GANs, ICLR, sec. 2):
the generator's loss is taken through K look-ahead steps of the discriminator's optimiser,
f_K(G, D) = f(G, D^K(G, D)), D^{k+1} = D^k - lr * Adam(grad of D's loss at D^k), and its gradient flows
through every look-ahead step (the second-order term the paper keeps). The real D is not moved: the
look-ahead runs on copies of D's weights, buffers and Adam moments, and D's own update stays the
ordinary one of adversarial.py's D phase; the final forward through D^K uses D's own buffers, as the plain
generator step does.

Which batches the look-ahead sees: the real batches and z of this step's D updates, cycled (with
n_dis 1, the one minibatch D was just trained on, K times), as the authors' demo notebook
(poolio/unrolled_gan) reuses its one minibatch for every unrolled step. With K = 0 this is exactly
adversarial.py's G phase, bit for bit (tests/test_unrolled.py)."""

from __future__ import annotations

import torch
from torch.func import functional_call

from .. import losses
from ..context import StepContext


def _adam_step(p, g, state: dict, t: int, group: dict):
    """One differentiable step of torch.optim.Adam (no amsgrad), from the moments in `state`."""
    b1, b2 = group["betas"]
    if group["weight_decay"]:
        g = g + group["weight_decay"] * p
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    pos = v > 0  # sqrt's gradient at 0 is infinite: a weight with no gradient yet keeps a zero moment
    root = torch.where(pos, torch.sqrt(torch.where(pos, v, torch.ones_like(v))), torch.zeros_like(v))
    p = p - (group["lr"] / bc1) * m / (root / bc2**0.5 + group["eps"])
    return p, {"m": m, "v": v}


def _start(D, opt: torch.optim.Optimizer):
    """Copies of D's weights (leaves of the look-ahead), buffers and Adam moments, and Adam's step count."""
    params, state, t = {}, {}, 0
    for name, p in D.named_parameters():
        s = opt.state.get(p, {})
        params[name] = p.detach().clone().requires_grad_(True)
        state[name] = {
            "m": s["exp_avg"].detach().clone() if "exp_avg" in s else torch.zeros_like(p),
            "v": s["exp_avg_sq"].detach().clone() if "exp_avg_sq" in s else torch.zeros_like(p),
        }
        t = max(t, int(s["step"]) if "step" in s else 0)
    buffers = {name: b.detach().clone() for name, b in D.named_buffers()}
    return params, buffers, state, t


def _disc(D, params: dict, buffers: dict, x, y):
    return functional_call(D, {**params, **buffers}, (x, y))


def look_ahead(ctx: StepContext, s: int, K: int, gen) -> dict:
    """D's weights after K differentiable Adam steps from where D and its optimiser stand, on step `s`'s
    D batches; `gen(z, y)` generates with G's weights in the graph, so the result is a function of them."""
    cfg, D = ctx.cfg, ctx.nets.D
    params, buffers, state, t = _start(D, ctx.nets.opt_d)
    group = ctx.nets.opt_d.param_groups[0]
    names = list(params)
    seen = {}  # batch j -> (x, y, fake, y_fake): each drawn and generated once, reused when cycled
    for k in range(K):
        j = k % cfg["n_dis"]
        if j not in seen:
            n = cfg["batch_size"]
            x, y = ctx.data.batch(ctx.seed, s * cfg["n_dis"] + j, n)
            x, y = ctx.local(x), (ctx.local(y) if cfg["conditional"] else None)
            y_fake = ctx.fake_labels(n, s, j, 0)
            seen[j] = (x, y, gen(ctx.z(n, "z_d", s, j), y_fake).float(), y_fake)
        x, y, fake, y_fake = seen[j]
        d_loss = losses.d_loss(
            cfg["loss"],
            _disc(D, params, buffers, ctx.augment(x), y).float(),
            _disc(D, params, buffers, ctx.augment(fake), y_fake).float(),
        )
        grads = torch.autograd.grad(d_loss, [params[m] for m in names], create_graph=True)
        for m, g in zip(names, grads):
            params[m], state[m] = _adam_step(params[m], g, state[m], t + k + 1, group)
    return params if K else {m: p.detach() for m, p in params.items()}


def g_loss(ctx: StepContext):
    """The generator phase's loss (adversarial.py) through `cfg["unrolled"]` look-ahead D steps; the loop
    backpropagates it into G's weights alone."""
    cfg, s, G, D = ctx.cfg, ctx.step, ctx.nets.G, ctx.nets.D
    g_params = dict(G.named_parameters())
    g_buffers = {name: b.detach().clone() for name, b in G.named_buffers()}  # look-ahead forwards keep G's BN stats

    def gen(z, y):
        return functional_call(G, {**g_params, **g_buffers}, (z,) if y is None else (z, y))

    with ctx.autocast():
        final = look_ahead(ctx, s, int(cfg["unrolled"]), gen)
        n = cfg["g_batch_size"]
        y_fake = ctx.fake_labels(n, s, 0, 1)
        # D's own buffers here, as the plain step's forward uses them (BN batch statistics, SN's u)
        out = _disc(D, final, dict(D.named_buffers()), ctx.augment(gen(ctx.z(n, "z_g", s), y_fake)), y_fake).float()
    loss = losses.g_loss(cfg["loss"], out)
    return loss, {"loss_g": float(loss.detach())}
