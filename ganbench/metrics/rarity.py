"""Rarity score (Han et al. 2023): how uncommon each generated sample is. A sample inside the real manifold
(some real image's k-NN ball, k = 3) scores the smallest radius among the real balls that contain it: large
in sparse regions, small among common images. Samples outside every ball score 0 and are left out (their
fidelity is not vouched for). ganbench reports the mean score of the samples inside, with the per-sample
scores (in the samples' order, 0 outside) and their distribution (quantiles, share inside) in `extra`.

Reference: hichoe95/Rarity-Score `src/rarity_score.py` (MANIFOLD.rarity, is_in_ball) at
ec2ebd84619f4485ceecf2f02bfac071270c55bf: radius = the (k+1)-th smallest real-to-real distance (self
included), inside = distance strictly below the radius, distances in float64. Distances here from the one
k-NN engine (float64). With --bootstrap, the samples are resampled with the real balls held fixed.
"""

from __future__ import annotations

import numpy as np

from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def rarity_scores(gen: np.ndarray, ref: np.ndarray, k: int = 3) -> np.ndarray:
    """Per generated sample: the smallest radius of a real k-NN ball containing it, 0 when none does."""
    import torch

    from .manifold import distance_blocks, knn_radii

    radii = knn_radii(ref, k)
    best = torch.full((len(gen),), float("inf"), dtype=torch.float64)
    for s, d in distance_blocks(ref, gen):  # (block of real, all generated)
        r = torch.from_numpy(radii[s : s + len(d)])[:, None]
        best = torch.minimum(best, torch.where(d < r, r, torch.tensor(float("inf"), dtype=torch.float64)).min(0).values)
    out = best.numpy()
    return np.where(np.isinf(out), 0.0, out)


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    scores = rarity_scores(gen.array("pool"), ref.array("pool"), opts["rarity_k"])
    inside = scores > 0
    if not inside.any():
        out = MetricValue(0.0, extra={"inside_fraction": 0.0, "per_sample": scores.tolist()})
        return out
    inner = scores[inside]
    out = MetricValue(
        float(inner.mean()),
        extra={
            "inside_fraction": float(inside.mean()),
            "quantiles": {f"p{round(q * 100)}": float(v) for q, v in zip(QUANTILES, np.quantile(inner, QUANTILES))},
            "max": float(inner.max()),
            "per_sample": scores.tolist(),
        },
    )
    if opts["bootstrap"]:
        values = []
        for _ in range(opts["bootstrap"]):
            w = rng.multinomial(len(scores), np.full(len(scores), 1 / len(scores)))[inside]
            if w.sum():
                values.append(float((w * inner).sum() / w.sum()))
        out.ci = percentile_ci(values, opts["confidence"])
        out.ci_method = "percentile bootstrap over resamples of the samples, the real k-NN balls fixed"
    return out


METRIC = register(
    Metric(
        name="rarity",
        summary="mean rarity score of the samples inside the real manifold (per-sample scores in the record)",
        reference="hichoe95/Rarity-Score MANIFOLD.rarity (Han et al. 2023), k=3",
        needs=("pool",),
        uses_ref=True,
        min_samples=lambda opts: with_defaults(opts)["rarity_k"] + 1,
        compute=compute,
        options={"rarity_k": 3},  # the reference's example and paper
        better="higher",  # rarer, among samples the real manifold vouches for; not a quality gate by itself
    )
)
