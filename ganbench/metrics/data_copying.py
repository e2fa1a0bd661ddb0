"""The data-copying test C_T (Meehan, Chaudhuri & Dasgupta 2020) and dgm-eval's two variants.

The features (all three sets) are projected on the training set's first 64 principal components when
wider; k-means on the training set cuts the space into cells. In each cell, the distances to the nearest
training image of the generated samples (L(Q_m)) and of the held-out test images (L(P_n)) are compared by
a Mann-Whitney U test, Z-scored under the null with a continuity correction:
    Z = (U - (nm/2 - 1/2)) / sqrt(nm(n + m + 1) / 12),  U = #{(q, p): L(q) > L(p)} + #ties / 2.
C_T is the mean of the Z of the cells holding more than 20 generated samples (tau = 20/m), weighted by
the test set's share of each. Z << 0: samples sit closer to the training set than unseen data does
(copying); Z >> 0: they fall short of it (underfitting).
- `ct`: compute_CTscore(train, test, gen); needs --train and --ref (the held-out test set).
- `ct-modified` (memorisation only): the training and generated sets swapped, as dgm-eval does.
- `ct-test` (mode collapse only): the test set split in halves, the first half playing the training set;
  needs only --ref.

Reference: dgm-eval `dgm_eval/metrics/ct.py` at 74c79f7527fbf38fdccfbac51f25d759bc02ab07, taken from
casey-meehan/data-copying `data_copying_tests.py` at a0ba2db5b42d7f3b1093b44a9d42065f041a98d6.

Cells: 3 by default (-O ct_cells). dgm-eval uses 3, and so do the authors for BigGAN on image features
(BigGan_test.py); their MNIST scripts use 50. With 3, every cell keeps enough test and generated samples
for its U test at the sample counts ganbench is run with (hundreds to thousands); 50 cells need ~1,000+
samples a side before cells stop dropping out below tau, and the published dgm-eval numbers are 3-cell.
dgm-eval's k-means and PCA are unseeded; here they are seeded (-O ct_seed), so a seed fixes the value.
With --bootstrap, the generated and test samples are resampled with the training set and its cells held
fixed (the test is conditional on them).
"""

from __future__ import annotations

import hashlib
from typing import Optional

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults

PCA_DIMS = 64
_LAST_FIT: dict = {}  # the last training set's PCA and k-means, by its content
TAU_SAMPLES = 20  # a cell counts when it holds more than this many generated samples


def mann_whitney_z(lq: np.ndarray, lp: np.ndarray) -> float:
    """Z of the U statistic of `lq` (the generated) against `lp` (the test), scipy's U with average ranks."""
    from scipy.stats import rankdata

    m, n = len(lq), len(lp)
    ranks = rankdata(np.concatenate([lq, lp]))
    u = ranks[:m].sum() - m * (m + 1) / 2
    return float((u - (n * m / 2 - 0.5)) / np.sqrt(n * m * (n + m + 1) / 12))


def _cells(train: np.ndarray, test: np.ndarray, gen: np.ndarray, cells: int, seed: int, name: str, role: str):
    """(train, test, gen) projected, and each one's cell from k-means on the training set."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    train, test, gen = (np.asarray(a, np.float64) for a in (train, test, gen))
    need = max(cells, PCA_DIMS if train.shape[1] > PCA_DIMS else 0)
    if len(train) < need:
        raise GanbenchError(
            f"{name}: {role} has {len(train)} rows; its {PCA_DIMS}-component PCA and {cells} k-means "
            f"cells need at least {need}: pass more images"
        )
    key = (hashlib.sha256(train.tobytes()).hexdigest(), train.shape, cells, seed)
    if _LAST_FIT.get("key") != key:  # the gates' replicates hold the training set fixed: fit it once
        pca = PCA(n_components=PCA_DIMS, svd_solver="full").fit(train) if train.shape[1] > PCA_DIMS else None
        km = KMeans(n_clusters=cells, n_init=10, random_state=seed).fit(train if pca is None else pca.transform(train))
        _LAST_FIT.update(key=key, fit=(pca, km))
    pca, km = _LAST_FIT["fit"]
    if pca is not None:
        train, test, gen = pca.transform(train), pca.transform(test), pca.transform(gen)
    return (train, test, gen), (km.labels_, km.predict(test), km.predict(gen))  # labels_: of this very set


def _nearest_train(train, train_cells, x, x_cells, cells: int) -> np.ndarray:
    """Each row's distance to its nearest training row of its own cell."""
    from .knn import knn

    out = np.full(len(x), np.nan)
    for c in range(cells):
        rows = np.flatnonzero(x_cells == c)
        if len(rows):
            out[rows] = knn(x[rows], train[train_cells == c], 1)[0][:, 0]
    return out


def _ct(lq, q_cells, lp, p_cells, cells: int, tau: float, wq=None, wp=None) -> tuple:
    """(C_T, per-cell Z, included cells); `wq`/`wp`: multiplicities of a resample."""
    wq = np.ones(len(lq), np.int64) if wq is None else wq
    wp = np.ones(len(lp), np.int64) if wp is None else wp
    m, n = wq.sum(), wp.sum()
    q_share = np.bincount(q_cells, weights=wq, minlength=cells) / m
    p_share = np.bincount(p_cells, weights=wp, minlength=cells) / n
    z = np.zeros(cells)
    included = q_share > tau
    for c in np.flatnonzero(included):
        z[c] = mann_whitney_z(
            np.repeat(lq[q_cells == c], wq[q_cells == c]), np.repeat(lp[p_cells == c], wp[p_cells == c])
        )
    if not included.any():
        return float("nan"), z, included
    return float(p_share[included] @ z[included] / p_share[included].sum()), z, included


def ct_score(
    train: np.ndarray,
    test: np.ndarray,
    gen: np.ndarray,
    cells: int = 3,
    seed: int = 0,
    name: str = "ct",
    n_boot: int = 0,
    rng=None,
    role: str = "the training set",
) -> tuple:
    """(C_T, extra, bootstrap values) of dgm-eval's compute_CTscore(train, test, gen); `role` names what
    plays the training set in messages."""
    (train, test, gen), (t_cells, p_cells, q_cells) = _cells(train, test, gen, cells, seed, name, role)
    empty = [c for c in range(cells) if not (p_cells == c).any()]
    if empty:
        raise GanbenchError(
            f"{name}: {len(empty)} of the {cells} cells hold no held-out test image, so their U test "
            f"is undefined: lower -O ct_cells or pass a larger held-out set"
        )
    tau = TAU_SAMPLES / len(gen)
    lq = _nearest_train(train, t_cells, gen, q_cells, cells)
    lp = _nearest_train(train, t_cells, test, p_cells, cells)
    value, z, included = _ct(lq, q_cells, lp, p_cells, cells, tau)
    if not included.any():
        raise GanbenchError(
            f"{name}: no cell holds more than {TAU_SAMPLES} of the {len(gen)} generated samples, so "
            f"C_T is undefined: pass more samples or lower -O ct_cells"
        )
    extra = {
        "cells": cells,
        "z_per_cell": z.tolist(),
        "cells_included": int(included.sum()),
        "test_share": (np.bincount(p_cells, minlength=cells) / len(test)).tolist(),
    }
    values = []
    for _ in range(n_boot):
        wq = rng.multinomial(len(gen), np.full(len(gen), 1 / len(gen)))
        wp = rng.multinomial(len(test), np.full(len(test), 1 / len(test)))
        inc = np.bincount(q_cells, weights=wq, minlength=cells) / len(gen) > tau
        if inc.any():
            values.append(_ct(lq, q_cells, lp, p_cells, cells, tau, wq, wp)[0])
    return value, extra, values


def _make(name: str, summary: str, arrange, needs_train: bool, role: str) -> Metric:
    def compute(gen: Features, ref: Features, opts: dict, rng=None, train: Optional[Features] = None) -> MetricValue:
        opts = with_defaults(opts)
        if needs_train and train is None:
            raise GanbenchError(
                f"{name} needs the model's training set: pass --train PATH (and the held-out test set as --ref)"
            )
        t, p, q = arrange(None if train is None else train.pool, ref.pool, gen.pool)
        value, extra, values = ct_score(t, p, q, opts["ct_cells"], opts["ct_seed"], name, opts["bootstrap"], rng, role)
        out = MetricValue(value, extra=extra)
        if values:
            out.ci = percentile_ci(values, opts["confidence"])
            out.ci_method = (
                "percentile bootstrap over resamples of the generated and test samples, the training "
                "set and its cells fixed"
            )
        return out

    return register(
        Metric(
            name=name,
            summary=summary,
            reference="dgm-eval compute_CTscore (Meehan et al. 2020 data-copying test, casey-meehan/data-copying)",
            needs=("pool", "train") if needs_train else ("pool",),
            uses_ref=True,
            # a cell counts above 20 samples; the set fitting the cells needs 64 rows for its 64-component PCA
            min_samples=lambda opts: PCA_DIMS if needs_train else TAU_SAMPLES + 1,
            compute=compute,
            validate=_validate,
            options={"ct_cells": 3, "ct_seed": 0},
            better="zero",  # a Z: << 0 is copying, >> 0 underfitting; gates and boards read |Z|
            uses_train=needs_train,
        ),
        *({name.replace("-", "_")} - {name}),
    )


def _validate(opts: dict) -> None:
    cells = with_defaults(opts)["ct_cells"]
    if cells < 1:
        raise GanbenchError(f"ct_cells={cells}: the data-copying test needs at least 1 cell: pass e.g. -O ct_cells=3")


def _halves(train, test, gen):
    a, b = np.array_split(test, 2)
    return a, b, gen


CT = _make(
    "ct",
    "data-copying test Z (Meehan et al. 2020): << 0 when samples copy the training set",
    lambda train, test, gen: (train, test, gen),
    True,
    "the training set (--train)",
)
CT_MODIFIED = _make(
    "ct-modified",
    "data-copying test with training and generated sets swapped (memorisation only)",
    lambda train, test, gen: (gen, test, train),
    True,
    "the samples (its training set)",
)
CT_TEST = _make(
    "ct-test",
    "data-copying test against half the held-out set (mode collapse only; no --train)",
    _halves,
    False,
    "the first half of the held-out set (--ref)",
)
