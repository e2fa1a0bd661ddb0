"""CAS as data augmentation (Ravuri & Vinyals 2019, Sec. 4's "real + generated" reading; issue 22): the
held-out accuracy of a classifier trained on the real training set plus the samples, minus that of the
same classifier trained on the real training set alone, with the same budget.

`cas` trains on the samples alone; this asks what people train conditional GANs for: do the samples help
a classifier that already has the real data? It reads cas's stacked-digits convention (the "pixels" of the
stacked-digits-classifier extractor, one digit per channel, mode = 100 r + 10 g + b; a reference image is
right when all three channels are), with --train the real training set and its classes (--train-labels)
and --ref the held-out real set. cas's SVC has no seed and no step budget, so the classifier here is a
small MLP (64 pixels on 0..1 -> 64 ReLU -> 10) trained by Adam (lr 1e-3) on minibatches of 64 channels for
`cas_aug_steps` steps. Both arms take the same number of steps of the same batch size (the same budget),
from the same initial weights and the same seed; the augmented arm draws its minibatches uniformly from
the real and generated channels pooled. The value is the mean over `cas_aug_seeds` classifier seeds of
the paired accuracy gain (positive: the samples help), its interval a t interval over those seeds; both
arms' accuracies, per seed, are in `extra`.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, register, with_defaults
from .cas import WEIGHTS, _channels

HIDDEN = 64
BATCH = 64
LR = 1e-3


def validate(opts: dict) -> None:
    o = with_defaults(opts)
    for k in ("cas_aug_steps", "cas_aug_seeds"):
        if not isinstance(o[k], int) or o[k] < 1:
            raise GanbenchError(f"{k}={o[k]!r}: pass a positive integer, e.g. -O {k}={METRIC.options[k]}")
    if o["cas_aug_seeds"] < 2:
        raise GanbenchError("cas_aug_seeds=1: an interval over classifier seeds needs two; pass -O cas_aug_seeds=5")


def _train(x, y, steps: int, seed: int):
    """An MLP fitted by Adam on `steps` minibatches of x (float32 (n, 64) on [0, 1]) and y (digits);
    its initial weights and its minibatch draws come from `seed` alone (a local generator)."""
    import torch

    g = torch.Generator().manual_seed(seed)

    def layer(i, o):  # torch.nn.Linear's default init, drawn from `g`
        bound = 1.0 / i**0.5
        return [((torch.rand(o, i, generator=g) * 2 - 1) * bound), ((torch.rand(o, generator=g) * 2 - 1) * bound)]

    params = [p.requires_grad_() for p in layer(64, HIDDEN) + layer(HIDDEN, 10)]
    opt = torch.optim.Adam(params, lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(steps):
        i = torch.randint(len(xt), (BATCH,), generator=g)
        loss = torch.nn.functional.cross_entropy(_forward(params, xt[i]), yt[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach() for p in params]


def _forward(params, x):
    import torch

    w1, b1, w2, b2 = params
    return torch.relu(x @ w1.T + b1) @ w2.T + b2


def _accuracy(params, xr, modes) -> float:
    import torch

    with torch.no_grad():
        digits = _forward(params, torch.from_numpy(xr)).argmax(1).numpy()
    return float(((digits.reshape(-1, 3) @ WEIGHTS) == modes).mean())


def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Features | None = None) -> MetricValue:
    from scipy import stats

    opts = with_defaults(opts)
    if train is None:
        raise GanbenchError("cas-aug needs the real training set: pass --train PATH and its classes")
    if train.labels is None:
        raise GanbenchError(
            "cas-aug needs the training set's classes: pass --train-labels FILE|NAME (or a --train .npz "
            "with a `labels` array)"
        )
    xt, yt = _channels(train, "training set")
    xg, yg = _channels(gen, "samples")
    xr, _ = _channels(ref, "reference")
    if len(np.unique(yt)) < 2:
        raise GanbenchError("cas-aug: the training set's labels name one digit only: pass a training set of more")
    xt, xg, xr = (np.asarray(a, np.float32) for a in (xt, xg, xr))  # pixels are on 0..1
    both_x, both_y = np.concatenate([xt, xg]), np.concatenate([yt, yg])
    steps, seed0 = opts["cas_aug_steps"], opts["cas_aug_seed"]
    alone, augmented = [], []
    for seed in range(seed0, seed0 + opts["cas_aug_seeds"]):
        alone.append(_accuracy(_train(xt, yt, steps, seed), xr, ref.labels))
        augmented.append(_accuracy(_train(both_x, both_y, steps, seed), xr, ref.labels))
    gain = np.array(augmented) - np.array(alone)
    mean, n = float(gain.mean()), len(gain)
    half = float(stats.t.ppf(0.5 + opts["confidence"] / 2, n - 1) * gain.std(ddof=1) / np.sqrt(n))
    return MetricValue(
        mean,
        std=float(gain.std(ddof=1)),
        std_of="the gain over classifier seeds",
        ci=(mean - half, mean + half),
        ci_method=f"t interval over {n} classifier seeds",
        extra={
            "reading": "augmentation: real + generated vs real alone, same steps and batch",
            "accuracy_real_plus_generated": float(np.mean(augmented)),
            "accuracy_real_alone": float(np.mean(alone)),
            "per_seed_real_plus_generated": augmented,
            "per_seed_real_alone": alone,
            "seeds": list(range(seed0, seed0 + n)),
            "steps": steps,
            "batch": BATCH,
            "real_images": len(train.array("labels")),
            "generated_images": len(gen.array("labels")),
        },
    )


METRIC = register(
    Metric(
        name="cas-aug",
        summary="held-out accuracy gain of a classifier trained on real + generated over real alone, same budget "
        "(higher is better)",
        reference="Ravuri & Vinyals 2019 (CAS, real + generated); a seeded MLP on cas's stacked-digits channels",
        needs=("pixels", "labels", "train"),
        uses_ref=True,
        uses_train=True,
        min_samples=lambda opts: 2,
        compute=compute,
        validate=validate,
        options={"cas_aug_steps": 500, "cas_aug_seeds": 5, "cas_aug_seed": 0},
        extractor="stacked-digits-classifier",
        better="higher",
    )
)
