"""The measurements of the `pathologies` board: each function trains with ganbench's trainer and returns a
study record (record_kind "study": the measured curves, the exact configuration, seed and environment),
which `leaderboards/pathologies_runs.py` writes and the studies board (studies.py) draws.

* `vanishing`: Arjovsky & Bottou 2017 ("Towards principled methods for training GANs", fig. 2-4): a
  DCGAN trained for some epochs, then G fixed and a D trained from scratch; every `every` D steps D's
  loss and accuracy, and G's gradient norm under the minimax cost log(1 - D(G(z))) and under -log D(G(z)),
  both through the same D on the same z batch.
* `clipping`: Gulrajani et al. 2017 (WGAN-GP, fig. 1b): a deep WGAN critic on the Swiss roll with weight
  clipping or the gradient penalty; the norm of the critic loss's gradient with respect to each layer's
  activations (the paper's quantity) and to each layer's weights (gradients.layer_norms)."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

import torch

from ..train import losses, models, streams
from ..train.gradients import layer_norms

if TYPE_CHECKING:
    from ..train.loop import Trainer

EXCERPT = "/work/shared/data/cifar10-excerpt.npz"
STEPS_PER_EPOCH = 16  # 1017 images at batch 64


def _record(
    study: str, setting: str, seed: int, x_name: str, x: list, curves: dict, config: dict, command: str
) -> dict:
    from ..records import environment

    return {
        "record_kind": "study",
        "format": 1,
        "study": study,
        "setting": setting,
        "seed": int(seed),
        "x": {"name": x_name, "values": x},
        "curves": curves,
        "config": config,
        "command": command,
        "provenance": {"environment": _stable(environment("cpu"))},
    }


def _stable(env: dict) -> dict:
    """The environment minus what changes between two runs on one machine (times, host), so a record
    is a function of the code, the versions and the seed."""
    return {k: v for k, v in env.items() if k not in ("time_utc", "command")}


def _seed(seed: int, *counters: int) -> int:
    """Seeds of the studies' own draws (D's initial weights, the measuring batch): the "eval" stream under
    counter 27 (this issue's number), apart from every draw of the trainer."""
    return streams.seed_of(seed, "eval", 27, *counters)


def _gen(seed: int, *counters: int) -> torch.Generator:
    return torch.Generator().manual_seed(_seed(seed, *counters))


def _trainer(baseline: str, overrides: dict, seed: int, data: str, key: Optional[str] = None) -> Trainer:
    from ..baselines import ARCHITECTURES
    from ..train.data import open_data
    from ..train.loop import Trainer
    from ..train.session import resolve_config

    _base, cfg = resolve_config(baseline, overrides)
    arch = ARCHITECTURES.get(cfg["arch"])
    return Trainer(cfg, open_data(data, arch.shape, key=key), seed)


# -- Arjovsky & Bottou 2017: vanishing gradients of the minimax cost -----------------------------------------
def vanishing(
    seed: int,
    epochs: Sequence[int] = (1, 10, 25),
    *,
    baseline: str = "dcgan-small",
    data: str = EXCERPT,
    d_steps: int = 1000,
    every: int = 25,
    batch: int = 64,
    progress: Optional[Callable[[str], None]] = None,
) -> List[dict]:
    """One record per entry of `epochs`: G trained that many epochs of `data` (train_images, batch 64), then
    fixed; a D from scratch (the baseline's D and Adam) trained `d_steps` steps against it."""
    sets = {"batch_size": batch, "g_batch_size": batch, "steps": max(epochs) * STEPS_PER_EPOCH}
    tr = _trainer(baseline, sets, seed, data, key="train_images")
    G, cfg = tr.nets.nets["G"], tr.cfg
    cmd_train = (
        f"ganbench train {baseline} --data {data} --key train_images --seed {seed} "
        f"--set batch_size={batch} --set g_batch_size={batch} --steps {sets['steps']}"
    )
    out = []
    for e in sorted(epochs):
        while tr.step < e * STEPS_PER_EPOCH:
            tr.train_step()
        curves = _fixed_g(copy.deepcopy(G), cfg, tr.data, seed, e, d_steps, every, batch, progress)
        config = {
            "baseline": baseline,
            "train": {k: cfg[k] for k in sorted(cfg)},
            "epochs": e,
            "g_steps": e * STEPS_PER_EPOCH,
            "d_steps": d_steps,
            "every": every,
            "batch": batch,
            "data": data,
            "key": "train_images",
            "d_init_seed": _seed(seed, 1, e),
        }
        cmd = (
            f"python leaderboards/pathologies_runs.py vanishing --seed {seed}  # G: {cmd_train} stopped at step "
            f"{e * STEPS_PER_EPOCH}; then a D from scratch for {d_steps} steps"
        )
        out.append(
            _record(
                "vanishing",
                f"{e} epoch{'s' if e > 1 else ''}",
                seed,
                "discriminator step",
                curves.pop("step"),
                curves,
                config,
                cmd,
            )
        )
    return out


def _fixed_g(
    G: torch.nn.Module,
    cfg: dict,
    data: Any,
    seed: int,
    epochs: int,
    d_steps: int,
    every: int,
    batch: int,
    progress: Optional[Callable[[str], None]],
) -> Dict[str, list]:
    _g, D, _a = models.networks(cfg, _seed(seed, 1, epochs))
    opt = torch.optim.Adam(D.parameters(), lr=cfg["lr_d"], betas=(cfg["beta1"], cfg["beta2"]))
    G.train().requires_grad_(True)  # batch statistics in G's batch norms, as while it trained
    z_eval = torch.randn(batch, cfg["z_dim"], generator=_gen(seed, 2, epochs))
    x_eval, _ = data.batch(seed, 10**6, batch)  # one fixed real batch for D's accuracy
    curves: Dict[str, list] = {
        k: [] for k in ("step", "d_loss", "d_accuracy", "d_error", "g_grad_minimax", "g_grad_bce")
    }
    for k in range(d_steps + 1):
        if k % every == 0:
            _measure(G, D, z_eval, x_eval, k, curves)
            if progress:
                progress(f"vanishing seed {seed} epochs {epochs}: D step {k}/{d_steps}")
        if k == d_steps:
            break
        x, _ = data.batch(seed + 7919, k, batch)  # a data order of its own, away from G's training order
        with torch.no_grad():
            fake = G(torch.randn(batch, cfg["z_dim"], generator=_gen(seed, 3, epochs, k)))
        opt.zero_grad(set_to_none=True)
        losses.d_loss("bce", D(x), D(fake)).backward()
        opt.step()
    return curves


def _measure(G: torch.nn.Module, D: torch.nn.Module, z: torch.Tensor, x: torch.Tensor, step: int, curves: dict) -> None:
    with torch.no_grad():
        real, fake = D(x).flatten(), D(G(z)).flatten()
        curves["d_loss"].append(float(losses.d_loss("bce", real, fake)))
        acc = float(torch.cat([(real > 0), (fake < 0)]).double().mean())
    curves["step"].append(step)
    curves["d_accuracy"].append(acc)
    curves["d_error"].append(1.0 - acc)
    for name, loss in (("g_grad_minimax", "minimax"), ("g_grad_bce", "bce")):
        G.zero_grad(set_to_none=True)
        losses.g_loss(loss, D(G(z))).backward(inputs=list(G.parameters()))
        curves[name].append(math.sqrt(sum(v * v for v in layer_norms(G).values())))  # float64: tiny norms stay
    G.zero_grad(set_to_none=True)


# -- Gulrajani et al. 2017: weight clipping against the gradient penalty ------------------------------------
CLIP_SETTINGS = {
    "clip c=0.1": {"weight_clip": 0.1},
    "clip c=0.01": {"weight_clip": 0.01},
    "clip c=0.001": {"weight_clip": 0.001},
    "gradient penalty (lambda 10)": {"gp": 10.0},
}


def clipping_config(setting: str, steps: int) -> dict:
    """gan_toy.py's toy settings (batch 256, 5 critic iterations; WGAN: RMSProp 5e-5; WGAN-GP: Adam 1e-4,
    (0.5, 0.9)) on the 12-layer networks of the paper's fig. 1b."""
    base = {
        "arch": "mlp-2d-deep",
        "data": "swissroll",
        "loss": "wasserstein",
        "z_dim": 2,
        "n_dis": 5,
        "batch_size": 256,
        "g_batch_size": 256,
        "steps": steps,
    }
    if "gp" in CLIP_SETTINGS[setting]:
        return {**base, **CLIP_SETTINGS[setting], "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.5, "beta2": 0.9}
    return {**base, **CLIP_SETTINGS[setting], "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5}


def clipping(
    seed: int,
    setting: str,
    *,
    steps: int = 30,
    every: int = 5,
    batch: int = 256,
    train_batch: int = 256,
    progress: Optional[Callable[[str], None]] = None,
) -> dict:
    """Per-layer gradient norms of the critic loss E[D(G(z))] - E[D(x)] (no penalty term) on a fixed batch,
    every `every` generator steps, layer 1 being the input side."""
    sets = {**clipping_config(setting, steps), "batch_size": train_batch, "g_batch_size": train_batch}
    tr = _trainer("toy-mlp", sets, seed, "swissroll")
    G, D = tr.nets.nets["G"], tr.nets.nets["D"]
    x, _ = tr.data.batch(seed, 10**6, batch)
    z = torch.randn(batch, 2, generator=_gen(seed, 4))
    curves: Dict[str, list] = {"act_grad": [], "weight_grad": [], "critic_loss": []}
    steps_seen = []
    while True:
        if tr.step % every == 0:
            steps_seen.append(tr.step)
            _layer_grads(G, D, x, z, curves)
            if progress:
                progress(f"clipping seed {seed} {setting}: step {tr.step}/{steps}")
        if tr.step == steps:
            break
        tr.train_step()
    config = {"train": {k: tr.cfg[k] for k in sorted(tr.cfg)}, "every": every, "measure_batch": batch}
    cmd = (
        f"python leaderboards/pathologies_runs.py clipping --seed {seed}  # ganbench train toy-mlp --data swissroll "
        f"--seed {seed} " + " ".join(f"--set {k}={v}" for k, v in sets.items() if k != "data")
    )
    return _record("clipping", setting, seed, "generator step", steps_seen, curves, config, cmd)


def _layer_grads(G: torch.nn.Module, D: torch.nn.Module, x: torch.Tensor, z: torch.Tensor, curves: dict) -> None:
    acts = []

    def keep(
        _m: torch.nn.Module, _i: Any, out: torch.Tensor
    ) -> None:  # a hidden layer's activations (after its ReLU), input side first
        out.retain_grad()
        acts.append(out)

    hooks = [m.register_forward_hook(keep) for m in D.modules() if isinstance(m, torch.nn.ReLU)]
    try:
        with torch.no_grad():
            fake = G(z)
        D.zero_grad(set_to_none=True)
        acts.clear()
        out_real = D(x)
        real_acts = list(acts)
        acts.clear()
        out_fake = D(fake)
        loss = losses.d_loss("wasserstein", out_real, out_fake)
        loss.backward()
    finally:
        for h in hooks:
            h.remove()
    # the real and the fake pass each hold every layer once: the norm over both batches together
    curves["act_grad"].append(
        [
            float(torch.sqrt(_grad(a).double().pow(2).sum() + _grad(b).double().pow(2).sum()))
            for a, b in zip(real_acts, acts)
        ]
    )
    curves["weight_grad"].append(list(layer_norms(D).values()))
    curves["critic_loss"].append(float(loss.detach()))
    D.zero_grad(set_to_none=True)


def _grad(t: torch.Tensor) -> torch.Tensor:
    assert t.grad is not None  # retain_grad() and backward() ran
    return t.grad
