"""Feature likelihood divergence, FLD (Jiralerspong et al. 2023; formerly FLS): a mixture of isotropic
Gaussians centred on the generated samples, each width fitted to the training set by maximum likelihood,
scores the held-out test set; FLD = 100 x (its per-dimension NLL - the baseline's), the baseline a mixture
centred on half the training set fitted to the other half. Poor, narrow or copied samples all raise the
test NLL (copies fit the training set with tiny widths that generalise badly). `fld-gap` is the authors'
generalisation gap, 100 x (train NLL - test NLL) under the generated mixture: very negative = memorising.

Reference: marcojira/fld `fld/metrics/FLD.py` and `fld/MoG.py` at ffbbf2041115814fd1074f0117bcb96c5af840b7,
with its defaults, reproduced step for step in float32 torch on the CPU: features standardised by the test
set's mean and (unbiased) std; at most 10,000 generated samples; widths initialised at log((min squared
distance + 1e-3) / d), then Adam (lr 0.5) on the per-dimension NLL of the shuffled training set in batches
of 10,000, with an extra component at the training mean (squared distances x 0.81, weight 1, its own
width), log-widths clamped to [-40, 40], at most 50 epochs, stopping after epoch 5 once the last five
epoch losses agree to 5e-4. The reference draws its shuffles from numpy's global state; here from
RandomState(-O fld_seed) in the same order (subsample, fit shuffle, baseline shuffle, baseline fit shuffle),
which reproduces it seeded with np.random.seed(fld_seed). Needs --train, with --ref the held-out set.
The authors' comparable setting is DINOv2 features (`fld-dinov2`); `fld` reads Inception's like the rest.
"""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, register, with_defaults

GEN_SIZE = 10_000
LR = 0.5
EPOCHS = 50
BATCH = 10_000
ORIGIN_SHRINK = (1 - 0.1) ** 2  # the origin component sees squared distances x 0.81
LOG_SIGMA_CLAMP = 40.0


def _sqdist(x, centres):
    import torch

    return (torch.cdist(x, centres) ** 2).detach()


def _pairwise_ll(d2, log_sigma, dim):
    """log N(x | centre, exp(log_sigma) I) from squared distances (broadcast over the centres)."""
    return -0.5 * d2 / log_sigma.exp() - (dim / 2) * log_sigma - (dim / 2) * np.log(2 * np.pi)


class Mixture:
    """Isotropic Gaussians centred on the rows of `centres`, equal weights, one fitted width each."""

    def __init__(self, centres):
        import torch

        self.centres = centres
        self.dim = centres.shape[1]
        self.log_sigmas = torch.zeros(len(centres), requires_grad=True)
        self.origin_log_sigma = torch.tensor(0.0, requires_grad=True)

    def fit(self, x, rs: np.random.RandomState):
        import torch

        mean_x = x.mean(dim=0, keepdim=True)
        x = x[rs.choice(len(x), len(x), replace=False)]
        d2 = _sqdist(x, self.centres)
        self.log_sigmas.data = ((d2.min(dim=0).values + 1e-3) / x.shape[1]).log()
        optim = torch.optim.Adam([self.log_sigmas, self.origin_log_sigma], lr=LR)
        losses = []
        for epoch in range(EPOCHS):
            epoch_losses = []
            for i, batch in enumerate(x.split(BATCH)):
                optim.zero_grad()
                ll = _pairwise_ll(d2[i * BATCH : (i + 1) * BATCH], self.log_sigmas, self.dim) - np.log(
                    len(self.centres)
                )
                origin = _pairwise_ll(ORIGIN_SHRINK * _sqdist(batch, mean_x), self.origin_log_sigma, self.dim)
                loss = -torch.logsumexp(torch.cat([ll, origin], dim=1), dim=1).mean() / self.dim
                loss.backward()
                optim.step()
                with torch.no_grad():
                    self.log_sigmas.data = self.log_sigmas.clamp(-LOG_SIGMA_CLAMP, LOG_SIGMA_CLAMP).data
                epoch_losses.append(loss.item())
            losses.append(sum(epoch_losses) / len(epoch_losses))
            if epoch > 5 and max(abs(losses[-1] - losses[-j]) for j in range(1, 6)) < 5e-4:
                break
        self.log_sigmas = self.log_sigmas.detach()
        return losses

    def nll(self, x) -> float:
        """Mean per-dimension negative log-likelihood of the rows of `x` (no origin component)."""
        import torch

        with torch.no_grad():
            ll = _pairwise_ll(_sqdist(x, self.centres), self.log_sigmas, self.dim) - np.log(len(self.centres))
            return float((-torch.logsumexp(ll, dim=1) / self.dim).mean().item())


def fld(train_rows: np.ndarray, test_rows: np.ndarray, gen_rows: np.ndarray, seed: int = 0, mode: str = "test") -> dict:
    import torch

    rs = np.random.RandomState(seed)
    train, test, gen = (torch.as_tensor(np.asarray(a, np.float32)) for a in (train_rows, test_rows, gen_rows))
    if len(gen) > GEN_SIZE:
        gen = gen[rs.choice(len(gen), GEN_SIZE, replace=False)]
    mean, std = test.mean(dim=0), test.std(dim=0)
    train, test, gen = ((a - mean) / std for a in (train, test, gen))
    with torch.enable_grad():
        mixture = Mixture(gen)
        epochs = len(mixture.fit(train, rs))
        test_nll = mixture.nll(test)
        if mode == "gap":
            train_nll = mixture.nll(train)
            return {
                "value": 100 * (train_nll - test_nll),
                "train_nll": train_nll,
                "test_nll": test_nll,
                "epochs": epochs,
            }
        # the reference standardises again by the (already standardised) test set: a rounding-level change
        mean, std = test.mean(dim=0), test.std(dim=0)
        train, test = (train - mean) / std, (test - mean) / std
        shuffled = train[rs.choice(len(train), len(train), replace=False)]
        split = min(len(gen), len(train) // 2)
        base = Mixture(shuffled[:split])
        base.fit(shuffled[split:], rs)
        baseline = base.nll(test)
    return {"value": 100 * (test_nll - baseline), "test_nll": test_nll, "baseline_nll": baseline, "epochs": epochs}


def _make(name: str, summary: str, mode: str, extractor: str = "inception-v3-compat") -> Metric:
    def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Optional[Features] = None) -> MetricValue:
        opts = with_defaults(opts)
        if train is None:
            raise GanbenchError(
                f"{name} needs the model's training set: pass --train PATH (and the held-out test set as --ref)"
            )
        if ref.n < 2 or train.n < 2:
            raise GanbenchError(f"{name} needs at least 2 held-out and 2 training images: pass more images")
        r = fld(train.array("pool"), ref.array("pool"), gen.array("pool"), opts["fld_seed"], mode)
        if (mode == "test" and r["value"] > 1000) or (mode == "gap" and r["value"] < -1000):
            warnings.warn(
                f"{name} = {r['value']:.4g}: the samples are likely copies of the training set "
                f"(the reference warns at this level)",
                stacklevel=2,
            )
        return MetricValue(r.pop("value"), extra=r)

    return register(
        Metric(
            name=name,
            summary=summary,
            reference='marcojira/fld FLD (eval_feat="test"/"gap"), Jiralerspong et al. 2023',
            needs=("pool", "train"),
            uses_ref=True,
            min_samples=lambda opts: 2,
            compute=compute,
            options={"fld_seed": 0},
            extractor=extractor,
            better="lower" if mode == "test" else "higher",
            uses_train=True,
        ),
        *({name.replace("-", "_")} - {name}),
    )


FLD = _make(
    "fld",
    "feature likelihood divergence: test NLL under a mixture on the samples, vs baseline (lower is better)",
    "test",
)
FLD_GAP = _make("fld-gap", "FLD generalisation gap, 100 x (train NLL - test NLL): very negative = memorising", "gap")
FLD_DINOV2 = _make(
    "fld-dinov2", "FLD in DINOv2 ViT-L/14 space (the authors' comparable setting)", "test", "dinov2-vit-l-14"
)
