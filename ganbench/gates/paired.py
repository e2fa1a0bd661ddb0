"""The paired bootstrap behind `compare` and `check`: several models scored against one reference.

Every model is compared with the same reference, so their errors correlate: a reference that happens
to sit far from all of them raises every FID. A replicate therefore draws the reference once, and
each model's samples independently, and scores every model against that one reference resample;
differences are taken within a replicate. The draws, in order (what a direct computation repeats):

    rng = numpy.random.default_rng([seed, crc32(b"paired")])
    for each replicate: ref_rows = rng.integers(0, n_ref, n_ref)
                        then for each model m in order: rows[m] = rng.integers(0, n_m, n_m)

The reference rows are the same images in every feature space. A replicate value is the metric's own
computation on the resample, with its documented shortcuts: Frechet distances from the resampled
moments, KID as the full-set unbiased MMD^2 with copies never paired plus its subsets' noise (as
kid.py's intervals), the k-NN metrics from one pass (manifold_bootstrap.py), a metric with its own
resampling scheme (`Metric.replicates`: topp, topr, fld) fed these draws as multiplicities, anything
else by calling the metric on the resampled features. A training set (--train) is never resampled.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any, Dict, List, Optional

import numpy as np

from ..features.featureset import FeatureSet
from ..metrics import METRICS
from ..metrics.base import with_defaults

FRECHET = {"fid", "sfid", "clip-fid", "fd-dinov2"}
MANIFOLD = {"precision", "recall", "density", "coverage"}


def draws(n_ref: Optional[int], n_models: List[int], n_boot: int, seed: int):
    """(ref_rows (B, n_ref) or None, [rows (B, n_m)]) in the documented order."""
    rng = np.random.default_rng([seed, zlib.crc32(b"paired")])
    ref_rows: List[np.ndarray] = []
    rows: List[List[np.ndarray]] = [[] for _ in n_models]
    for _ in range(n_boot):
        if n_ref:
            ref_rows.append(rng.integers(0, n_ref, n_ref))
        for m, n in enumerate(n_models):
            rows[m].append(rng.integers(0, n, n))
    return (np.array(ref_rows) if n_ref else None), [np.array(r) for r in rows]


def _take(fs: FeatureSet, rows) -> FeatureSet:
    return FeatureSet(
        None if fs.pool is None else fs.pool[rows],
        None if fs.logits is None else fs.logits[rows],
        extra={k: v[rows] for k, v in fs.extra.items()},
        meta=fs.meta,
    )


def _frechet_array(name: str, fs: FeatureSet) -> np.ndarray:
    return fs.extra["spatial"] if name == "sfid" else fs.array("pool")


def _counts(rows: np.ndarray, n: int) -> np.ndarray:
    """(n, B) multiplicities of each original row in each replicate."""
    return np.stack([np.bincount(r, minlength=n) for r in rows], axis=1).astype(np.float64)


def _moments(x: np.ndarray) -> tuple:
    """Mean and covariance in float64, two-pass (the streaming GaussianStats is for data that does not
    fit in memory; a resample does, and costs a replicate ~4x less this way)."""
    x = np.asarray(x, np.float64)
    mu = x.mean(0)
    xc = x - mu
    return mu, (xc.T @ xc) / (len(x) - 1)


def _none(_n: int) -> None:
    pass


def _frechet(name, gens, ref, ref_rows, rows, opts, tick=_none):
    """fid.py's two exact routes: from the features when a set has no more rows than dimensions,
    else from the moments (the reference's computed once per replicate, for every model)."""
    from ..metrics.fid import fid_from_features, frechet_distance

    r_all = np.ascontiguousarray(_frechet_array(name, ref), np.float64)  # cast once, not per replicate
    g_all = [np.ascontiguousarray(_frechet_array(name, g), np.float64) for g in gens]
    d = r_all.shape[1]
    out = np.empty((len(gens), len(ref_rows)))
    for b, rr in enumerate(ref_rows):
        r, r_stats = np.take(r_all, rr, axis=0), None
        for m, g in enumerate(g_all):
            x = np.take(g, rows[m][b], axis=0)
            if min(len(x), len(r)) <= d:
                out[m, b] = fid_from_features(x, r)
                continue
            r_stats = r_stats or _moments(r)
            out[m, b] = frechet_distance(*_moments(x), *r_stats)
        tick(1)
    return out


def _kid(gens, ref, ref_rows, rows, opts, points, seed):
    from ..metrics.kid import bootstrap_mmd2

    v = _counts(ref_rows, ref.n)
    out = np.empty((len(gens), len(ref_rows)))
    for m, g in enumerate(gens):
        full = bootstrap_mmd2(g.pool, ref.pool, len(ref_rows), opts, None, weights=(_counts(rows[m], g.n), v))
        noise = np.random.default_rng([seed, zlib.crc32(b"kid-subsets"), m])
        out[m] = full + noise.normal(0.0, points[m].std / np.sqrt(opts["kid_subsets"]), len(ref_rows))
    return out


def _manifold(field, gens, ref, ref_rows, rows, opts, memo):
    from ..metrics.manifold_bootstrap import replicates

    out = np.empty((len(gens), len(ref_rows)))
    for m, g in enumerate(gens):
        key = (id(g.pool), id(ref.pool))
        if key not in memo:  # one pass serves all four k-NN metrics
            w = [(np.bincount(rr, minlength=ref.n), np.bincount(r, minlength=g.n)) for rr, r in zip(ref_rows, rows[m])]
            memo[key] = replicates(g.pool, ref.pool, opts["prc_k"], opts["dc_k"], len(ref_rows), None, weights=w)
        out[m] = memo[key][field]
    return out


def _weights(ref, ref_rows, gen, rows) -> list:
    """[(reference multiplicities or None, generated multiplicities)] of each replicate's draws."""
    return [
        (
            None if ref is None or ref_rows is None else np.bincount(ref_rows[b], minlength=ref.n),
            np.bincount(r, minlength=gen.n),
        )
        for b, r in enumerate(rows)
    ]


def _generic(name, gens, ref, ref_rows, rows, opts, tick=_none, more=None):
    metric, more = METRICS.get(name), more or {}
    out = np.empty((len(gens), len(rows[0]) if rows else 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(out.shape[1]):
            r = _take(ref, ref_rows[b]) if ref is not None and ref_rows is not None else ref
            for m, g in enumerate(gens):
                out[m, b] = metric.compute(_take(g, rows[m][b]), r, opts, None, **more).value
            tick(1)
    return out


def paired(
    metrics: List[str],
    gens: List[Dict[str, FeatureSet]],
    refs: Dict[str, Optional[FeatureSet]],
    opts: dict,
    n_boot: int,
    seed: int,
    progress=None,
    trains: Optional[Dict[str, FeatureSet]] = None,
) -> tuple:
    """Point values {metric: [MetricValue per model]} and replicates {metric: (M, B) array}.
    `progress(k)` is told of every k replicates done (len(metrics) * n_boot in all).

    gens[m][extractor] and refs[extractor] are the features of model m and of the reference in each
    feature space the metrics read; `opts` are the metrics' options (the engine's defaults table).
    trains[extractor]: the models' training set, for the metrics that read it; never resampled (the
    metrics' own intervals hold it fixed too: ct's cells and fld's fit are conditional on it)."""
    trains = trains or {}
    opts = {**with_defaults(opts), "bootstrap": 0}
    n_ref = next((fs.n for fs in refs.values() if fs is not None), None)
    first = [next(iter(g.values())).n for g in gens]
    ref_rows, rows = draws(n_ref, first, n_boot, seed)
    points: Dict[str, Any] = {}
    reps: Dict[str, Any] = {}
    memo: Dict[str, Any] = {}
    tick = progress or _none
    for name in metrics:
        metric = METRICS.get(name)
        space = metric.extractor
        g = [x[space] for x in gens]
        ref = refs.get(space)
        more = {"train": trains.get(space)} if metric.uses_train else {}
        rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(name.encode())])
        points[name] = [metric.compute(x, ref, opts, rng, **more) for x in g]
        base = name.split("-")[0]
        if metric.replicates is not None:  # the metric's own resampling scheme, fed the paired draws
            reps[name] = np.stack(
                [metric.replicates(x, ref, opts, _weights(ref, ref_rows, x, rows[m]), **more) for m, x in enumerate(g)]
            )
            tick(n_boot)
        elif name in FRECHET:
            reps[name] = _frechet(name, g, ref, ref_rows, rows, opts, tick)
        elif name == "is":
            reps[name] = _inception(g, rows, opts, tick)
        elif name == "kid" or (base in MANIFOLD and metric.needs == ("pool",)):  # all replicates in one pass
            reps[name] = (
                _kid(g, ref, ref_rows, rows, opts, points[name], seed)
                if name == "kid"
                else _manifold(base, g, ref, ref_rows, rows, opts, memo.setdefault(space, {}))
            )
            tick(n_boot)
        else:
            reps[name] = _generic(name, g, ref, ref_rows, rows, opts, tick, more)
    return points, reps


def _inception(gens, rows, opts, tick=_none):
    from ..metrics.inception_score import _log_softmax, _split_scores

    out = np.empty((len(gens), len(rows[0])))
    log_p = [_log_softmax(g.logits) for g in gens]
    for b in range(out.shape[1]):
        for m in range(len(gens)):
            out[m, b] = _split_scores(log_p[m][rows[m][b]], opts["is_splits"]).mean()
        tick(1)
    return out


def interval(reps: np.ndarray, estimate: float, confidence: float, bounds: tuple = (None, None)) -> tuple:
    """Bias-corrected percentile interval of a difference (resampling copies bias FID-like metrics); with
    `bounds` (low, high), its ends clipped to that range."""
    from ..metrics.base import percentile_ci

    reps = np.asarray(reps, np.float64)  # topp/topr: NaN replicates where none counts
    return percentile_ci(reps[np.isfinite(reps)], confidence, estimate, floor=bounds[0], ceiling=bounds[1])


def value_interval(name: str, reps: np.ndarray, estimate: float, confidence: float) -> tuple:
    """One model's interval of metric `name`, clipped to the metric's declared range (`Metric.bounds`:
    precision never below 0, FID never negative), as `eval`'s intervals are."""
    return interval(reps, estimate, confidence, METRICS.get(name).bounds)


def p_value(reps: np.ndarray, estimate: float) -> float:
    """Two-sided bootstrap p-value of 'no difference', by inverting the bias-corrected percentile
    interval: twice the smaller tail of the shifted replicates beyond 0, (count + 1) / (B + 1)."""
    reps = np.asarray(reps, np.float64)
    reps = reps[np.isfinite(reps)]
    shifted = reps - (np.mean(reps) - estimate)
    b = len(shifted)
    tail = min((shifted <= 0).sum(), (shifted >= 0).sum())
    return float(min(1.0, 2 * (tail + 1) / (b + 1)))
