"""Intra-FID (Miyato & Koyama 2018, cGANs with Projection Discriminator, sec. 5.1): the mean over classes
of the FID between the samples of class k and the reference images of class k, each computed as `fid`
computes it (fid.py). The per-class values and counts go into the record's `extra`.

The classes are those of the samples; each needs at least 2 images on both sides. Reference classes the
samples lack are named in a warning and left out of the mean. With --bootstrap, both sides are resampled
within each class and the interval is bias-corrected like FID's.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults
from .fid import fid_from_features, frechet_distance


def _fid(x: np.ndarray, y: np.ndarray) -> float:
    """fid.compute's value for two feature sets (its exact route when one is rank-deficient)."""
    from ..stats import GaussianStats

    if min(len(x), len(y)) <= x.shape[1]:
        return fid_from_features(x, y)
    g, r = GaussianStats.from_features(x), GaussianStats.from_features(y)
    return frechet_distance(g.mu, g.sigma, r.mu, r.sigma)


def class_parts(gen: Features, ref: Features, metric: str = "intra-fid", need: int = 2, hint: str = ""):
    """{class: (sample rows, reference rows)} for every class of the samples, each with at least `need` rows
    on both sides (`hint`: the option that lowers `need`); reference classes the samples lack are named
    in one warning."""
    if gen.labels is None or ref.labels is None:
        side = "samples" if gen.labels is None else "reference"
        raise GanbenchError(f"{metric} needs the classes of the {side}: pass --labels / --ref-labels")
    parts = {}
    for k in np.unique(gen.labels).tolist():
        g, r = gen.array("pool")[gen.array("labels") == k], ref.array("pool")[ref.array("labels") == k]
        if len(g) < need or len(r) < need:
            raise GanbenchError(
                f"{metric}: class {k} has {len(g)} sample(s) and {len(r)} reference image(s); every "
                f"class of the samples needs at least {need} of each: pass more images{hint}, or "
                f"labels that match the reference's classes"
            )
        parts[k] = (g, r)
    lacking = sorted(set(np.unique(ref.labels).tolist()) - set(parts))
    if lacking:
        shown = ", ".join(map(str, lacking[:10])) + (", ..." if len(lacking) > 10 else "")
        warnings.warn(
            f"{metric}: the samples hold no images of {len(lacking)} reference class(es) ({shown}); "
            f"the mean is over the {len(parts)} classes they hold",
            stacklevel=2,
        )
    return parts


def class_extra(gen: Features, ref: Features, metric: str, value, need: int = 2) -> dict:
    """{"per_class": {class: value(sample rows, reference rows)}, "classes": k} when both sides carry labels
    (--labels, --ref-labels), else {}: the per-class reading of a metric whose value is over all samples."""
    if gen.labels is None or ref is None or ref.labels is None:
        return {}
    try:
        parts = class_parts(gen, ref, metric, need=need)
    except GanbenchError as e:  # the overall value stands; only its per-class reading is impossible
        warnings.warn(f"no per-class values: {e}", stacklevel=2)
        return {}
    return {"per_class": {str(k): float(value(g, r)) for k, (g, r) in parts.items()}, "classes": len(parts)}


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    opts = with_defaults(opts)
    parts = class_parts(gen, ref)
    per = {k: _fid(g, r) for k, (g, r) in parts.items()}
    smallest = min(min(len(g), len(r)) for g, r in parts.values())
    d = gen.array("pool").shape[1]
    if smallest <= d:
        warnings.warn(
            f"intra-fid: the smallest class has {smallest} images for {d}-d features, so its covariance is "
            f"rank-deficient and its FID strongly biased upwards (the paper used 5,000 samples per class "
            f"on CIFAR-10's 5,000 training images of each class)",
            stacklevel=2,
        )
    value = float(np.mean(list(per.values())))
    out = MetricValue(
        value,
        extra={
            "per_class": {str(k): v for k, v in per.items()},
            "counts": {str(k): [len(g), len(r)] for k, (g, r) in parts.items()},
            "classes": len(parts),
        },
    )
    n_boot = opts["bootstrap"]
    if n_boot:
        values = []
        for _ in range(n_boot):
            values.append(
                np.mean(
                    [
                        _fid(g[rng.integers(0, len(g), len(g))], r[rng.integers(0, len(r), len(r))])
                        for g, r in parts.values()
                    ]
                )
            )
        out.ci = percentile_ci(values, opts["confidence"], value)
        out.ci_method = "bias-corrected percentile bootstrap, both sets resampled within each class"
    return out


METRIC = register(
    Metric(
        name="intra-fid",
        summary="mean over classes of the FID between class-k samples and class-k reference images (lower is better)",
        reference="Miyato & Koyama 2018 (cGANs with Projection Discriminator), intra-FID",
        needs=("pool", "labels"),
        uses_ref=True,
        min_samples=lambda opts: 2,
        compute=compute,
        bounds=(0.0, None),
    ),
    "intra_fid",
)
