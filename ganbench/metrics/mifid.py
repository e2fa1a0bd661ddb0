"""Memorisation-informed FID (Bai et al. 2021, the Kaggle "I'm Something of a Painter Myself" metric):
FID divided by the memorisation distance M, the mean over generated images of the smallest cosine distance
1 - |cos| to a training image, thresholded: M counts only when below eps (0.1), else M = 1 (no penalty).
Copies of training images drive M towards 0 and MiFID up.

References: the authors' scoring code, jybai/generative-memorization-benchmark@3d999d8
`src/competition_scoring.py` (`calculate_mifid`: features1 = the generated images, `cosine_distance` takes
the mean over features1's rows of the min over features2's, `distance_thresholding`); and torchmetrics 1.9.0
`torchmetrics/image/mifid.py` (MemorizationInformedFrechetInceptionDistance, `_compute_cosine_distance`,
`_mifid_compute`), which passes the REAL features as features1, so its M is the mean over real images of
the distance to the nearest sample. The two differ where it matters: with a quarter of the samples exact
copies, the authors' M is about a quarter of its clean value, torchmetrics' barely moves (copies of a few
training images leave most real images far from every sample; benchmarks/results/calibration.md shows
MiFID = FID under 75% copies that way). The authors' direction is the default; `-O mifid_direction=real`
gives torchmetrics' value (tested equal). Both keep: feature rows summing to 0 are left out of M,
MiFID = FID / (M + 1e-14) (torchmetrics' stabiliser), and 0 when FID <= 1e-8. torchmetrics has one real set
for both terms; here M is against --train when given (the memorisation the metric is named for), else
against --ref, which is torchmetrics' value exactly. FID is fid.py's (exact square root, ~1e-6 relative
to torchmetrics' eigenvalue route). With --bootstrap, every set is resampled and both terms recomputed.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults
from .fid import compute as fid_compute
from .intra_fid import _fid

FID_FLOOR = 1e-8  # torchmetrics: below this FID, MiFID is 0
STABILISER = 10e-15  # torchmetrics adds it to M


def cosine_distances(real: np.ndarray, gen: np.ndarray) -> np.ndarray:
    """(n_real, n_gen) 1 - |cos| between the rows that do not sum to 0 (torchmetrics' filter)."""
    real = np.asarray(real, np.float64)
    gen = np.asarray(gen, np.float64)
    real = real[real.sum(1) != 0]
    gen = gen[gen.sum(1) != 0]
    a = real / np.linalg.norm(real, axis=1, keepdims=True)
    b = gen / np.linalg.norm(gen, axis=1, keepdims=True)
    return 1.0 - np.abs(a @ b.T)


def thresholded(mean_min: float, eps: float) -> float:
    return float(mean_min) if mean_min < eps else 1.0


DIRECTIONS = ("generated", "real")


def mean_min(d: np.ndarray, direction: str) -> float:
    """M before thresholding from the (real, generated) distances: the mean over generated images of the
    nearest real one ("generated", the authors'), or over real images of the nearest sample ("real")."""
    return float(d.min(axis=0).mean() if direction == "generated" else d.min(axis=1).mean())


def mifid_value(fid: float, distance: float) -> float:
    return fid / (distance + STABILISER) if fid > FID_FLOOR else 0.0


def validate(opts: dict) -> None:
    eps = with_defaults(opts)["mifid_eps"]
    direction = with_defaults(opts)["mifid_direction"]
    if direction not in DIRECTIONS:
        raise GanbenchError(
            f"mifid_direction={direction!r}: pass -O mifid_direction=generated (the authors' scoring code: each "
            f"sample's nearest training image) or real (torchmetrics: each real image's nearest sample)"
        )
    if not 0 < eps <= 1:
        raise GanbenchError(
            f"mifid_eps={eps}: the memorisation threshold must be in (0, 1]: pass e.g. "
            f"-O mifid_eps=0.1 (torchmetrics' and Kaggle's)"
        )


def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Optional[Features] = None) -> MetricValue:
    opts = with_defaults(opts)
    eps = opts["mifid_eps"]
    real = train if train is not None else ref
    if real.pool is None:
        raise GanbenchError(
            "mifid needs the features of the real images it checks for copies, not only their "
            "mean/covariance: pass the images, or a file from `ganbench stats`"
        )
    fid = fid_compute(gen, ref, {**opts, "bootstrap": 0}).value
    direction = opts["mifid_direction"]
    d = cosine_distances(real.array("pool"), gen.array("pool"))
    m = mean_min(d, direction)
    distance = thresholded(m, eps)
    out = MetricValue(
        mifid_value(fid, distance),
        extra={
            "fid": fid,
            "memorization_distance": m,
            "penalised": bool(m < eps),
            "direction": direction,
            "memorization_against": "train" if train is not None else "reference",
        },
    )
    if opts["bootstrap"] and ref.pool is not None:
        kept = np.asarray(gen.pool, np.float64).sum(1) != 0
        column = np.cumsum(kept) - 1  # generated row -> its column of `d`
        values = []
        for _ in range(opts["bootstrap"]):
            gi = rng.integers(0, gen.n, gen.n)
            ri = rng.integers(0, ref.n, ref.n)
            ti = rng.integers(0, len(d), len(d))
            f = _fid(gen.array("pool")[gi], ref.array("pool")[ri])
            if direction == "real":  # mean over resampled real rows of the min over the resampled samples
                sub = d[ti][:, np.unique(column[gi[kept[gi]]])]
            else:  # mean over resampled samples (repeats count) of the min over the resampled real rows
                sub = d[np.unique(ti)][:, column[gi[kept[gi]]]]
            values.append(mifid_value(f, thresholded(mean_min(sub, direction), eps)))
        out.ci = percentile_ci(values, opts["confidence"], out.value)
        out.ci_method = (
            "bias-corrected percentile bootstrap; samples, reference and the set checked for copies "
            "resampled, FID and the memorisation distance recomputed"
        )
    return out


METRIC = register(
    Metric(
        name="mifid",
        summary="memorisation-informed FID: FID / thresholded mean min cosine distance to the training set "
        "(lower is better)",
        reference="the authors' competition_scoring.py (Bai et al. 2021); torchmetrics 1.9.0 "
        "MemorizationInformedFrechetInceptionDistance with mifid_direction=real",
        needs=("pool",),
        uses_ref=True,
        min_samples=lambda opts: 2,
        compute=compute,
        bounds=(0.0, None),
        validate=validate,
        options={"mifid_eps": 0.1, "mifid_direction": "generated"},  # eps: torchmetrics' and Kaggle's threshold
        uses_train=True,
    )
)
