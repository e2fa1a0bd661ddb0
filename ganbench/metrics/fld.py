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

Interval (--bootstrap, and the paired draws of compare/check): refitting on each resample is unsound as
well as slow, since a resampled set's copies are components at one centre whose widths the refit would
shrink, and every refit costs the fit. The fit (each component's width, the baseline mixture) is therefore
kept from the full sets and the terms it scores are resampled: the held-out rows' NLL terms (test and
baseline, paired) by the resample of the held-out set, and the mixture's components by the resample of
the generated samples (a component drawn k times weighs k/n). The training set is fixed, as ct's
interval holds it (the value is conditional on it). With every weight 1 a replicate equals the estimate
(to float32 rounding). The interval leaves out the fit's own noise; benchmarks/interval_coverage.py
measures coverage.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any, Dict, Optional

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults

GEN_SIZE = 10_000
LR = 0.5
EPOCHS = 50
BATCH = 10_000
ORIGIN_SHRINK = (1 - 0.1) ** 2  # the origin component sees squared distances x 0.81
LOG_SIGMA_CLAMP = 40.0
ROW_BLOCK = 2048  # rows scored at once by the interval's replicates
CI_METHOD = (
    "bias-corrected percentile bootstrap over resamples of the generated and held-out sets: the fitted "
    "widths and baseline held at the full sets' fit, the mixture's components weighted by the resample, "
    "the training set fixed"
)


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


def fld(
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    gen_rows: np.ndarray,
    seed: int = 0,
    mode: str = "test",
    keep: bool = False,
):
    """The result dict; with `keep`, (result, the fitted state the interval's replicates read)."""
    import torch

    rs = np.random.RandomState(seed)
    train, test, gen = (torch.as_tensor(np.asarray(a, np.float32)) for a in (train_rows, test_rows, gen_rows))
    rows = np.arange(len(gen))
    if len(gen) > GEN_SIZE:
        rows = rs.choice(len(gen), GEN_SIZE, replace=False)
        gen = gen[rows]
    mean, std = test.mean(dim=0), test.std(dim=0)
    train, test, gen = ((a - mean) / std for a in (train, test, gen))
    state: Dict[str, Any] = {"mixture": None, "rows": rows, "test": test, "train": train, "baseline_rows": None}
    with torch.enable_grad():
        mixture = Mixture(gen)
        epochs = len(mixture.fit(train, rs))
        state["mixture"] = mixture
        test_nll = mixture.nll(test)
        if mode == "gap":
            train_nll = mixture.nll(train)
            out = {"value": 100 * (train_nll - test_nll), "train_nll": train_nll, "test_nll": test_nll}
            return ({**out, "epochs": epochs}, state) if keep else {**out, "epochs": epochs}
        # the reference standardises again by the (already standardised) test set: a rounding-level change
        mean, std = test.mean(dim=0), test.std(dim=0)
        train, test = (train - mean) / std, (test - mean) / std
        shuffled = train[rs.choice(len(train), len(train), replace=False)]
        split = min(len(gen), len(train) // 2)
        base = Mixture(shuffled[:split])
        base.fit(shuffled[split:], rs)
        baseline = base.nll(test)
        if keep:
            state["baseline_rows"] = -_weighted_ll(base, test, np.ones((split, 1)))[:, 0] / base.dim
    out = {"value": 100 * (test_nll - baseline), "test_nll": test_nll, "baseline_nll": baseline, "epochs": epochs}
    return (out, state) if keep else out


def _weighted_ll(mixture: Mixture, x, v: np.ndarray) -> np.ndarray:
    """(len(x), B) log-likelihoods of the rows of `x` under `mixture` with its components reweighted by
    the columns of `v` (multiplicities of a resample of its centres; widths as fitted), float64."""
    import torch

    out = np.empty((len(x), v.shape[1]))
    log_n = np.log(v.sum(0))
    for s in range(0, len(x), ROW_BLOCK):
        with torch.no_grad():
            ll = _pairwise_ll(_sqdist(x[s : s + ROW_BLOCK], mixture.centres), mixture.log_sigmas, mixture.dim)
        ll = ll.double().numpy()
        top = ll.max(1, keepdims=True)
        with np.errstate(divide="ignore"):
            got = top + np.log(np.exp(ll - top) @ v) - log_n
        for i, b in zip(*np.nonzero(~np.isfinite(got))):  # every drawn component underflowed: exactly
            drawn = v[:, b] > 0
            z = ll[i, drawn] + np.log(v[drawn, b])
            got[i, b] = z.max() + np.log(np.exp(z - z.max()).sum()) - log_n[b]
        out[s : s + ROW_BLOCK] = got
    return out


def replicates(gen: Features, ref: Features, opts: dict, weights, train: Optional[Features] = None, mode: str = "test"):
    """(B,) values for resamples with the given [(held-out multiplicities, generated multiplicities)]: the
    fit (widths, the baseline) is the full sets', the training set fixed (see the module docstring)."""
    opts = with_defaults(opts)
    tr = _need(train, ref, "fld" if mode == "test" else "fld-gap")
    _, st = fld(tr.array("pool"), ref.array("pool"), gen.array("pool"), opts["fld_seed"], mode, keep=True)
    w = np.stack([np.asarray(a, np.float64) for a, _ in weights], axis=1)  # (n_test, B)
    v = np.stack([np.asarray(b, np.float64) for _, b in weights], axis=1)[st["rows"]]  # the mixture's centres
    m = st["mixture"]
    test = (w * -_weighted_ll(m, st["test"], v) / m.dim).sum(0) / w.sum(0)
    if mode == "gap":
        return 100 * ((-_weighted_ll(m, st["train"], v) / m.dim).mean(0) - test)
    return 100 * (test - (w * st["baseline_rows"][:, None]).sum(0) / w.sum(0))


def _need(train: Optional[Features], ref: Features, name: str) -> Features:
    if train is None:
        raise GanbenchError(
            f"{name} needs the model's training set: pass --train PATH (and the held-out test set as --ref)"
        )
    if ref.n < 2 or train.n < 2:
        raise GanbenchError(f"{name} needs at least 2 held-out and 2 training images: pass more images")
    return train


def _make(name: str, summary: str, mode: str, extractor: str = "inception-v3-compat") -> Metric:
    def many(gen: Features, ref: Features, opts: dict, weights, train: Optional[Features] = None) -> np.ndarray:
        return replicates(gen, ref, opts, weights, train, mode)

    def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Optional[Features] = None) -> MetricValue:
        opts = with_defaults(opts)
        tr = _need(train, ref, name)
        r = fld(tr.array("pool"), ref.array("pool"), gen.array("pool"), opts["fld_seed"], mode)
        if (mode == "test" and r["value"] > 1000) or (mode == "gap" and r["value"] < -1000):
            warnings.warn(
                f"{name} = {r['value']:.4g}: the samples are likely copies of the training set "
                f"(the reference warns at this level)",
                stacklevel=2,
            )
        out = MetricValue(r.pop("value"), extra=r)
        if opts["bootstrap"]:
            draw = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(name.encode())])
            weights = [
                (draw.multinomial(ref.n, np.full(ref.n, 1 / ref.n)), draw.multinomial(gen.n, np.full(gen.n, 1 / gen.n)))
                for _ in range(opts["bootstrap"])
            ]
            values = many(gen, ref, opts, weights, train)
            out.ci = percentile_ci(values, opts["confidence"], out.value, floor=None)
            out.ci_method = CI_METHOD
        return out

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
            better="lower" if mode == "test" else "zero",  # the gap: < 0 memorising, > 0 underfitting
            uses_train=True,
            replicates=many,
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
