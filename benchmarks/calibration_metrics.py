"""Issue 30's metrics in the calibration study: stages `metrics_disturbance` and `metrics_bias`.

    python benchmarks/calibration.py --stages metrics_disturbance metrics_bias   # only these two stages

On the same official pool3 features as calibration.py's stages (benchmarks/.calibration/, no new extraction).
Three roles: `train` (the model's training set: the excerpt's train images), `gen` (the samples) and
`held` (held-out real images, disjoint from both). Two-set metrics score gen against train, as the older
stages do (so FID here equals theirs); ct, ct-modified, fld, fld-gap take held as their --ref and train as
--train; authpct and mifid read train as --train.

`cmmd` here is CMMD's estimator (ganbench.metrics.cmmd: biased MMD^2, RBF sigma 10, x1000, L2-normalised
rows) run on Inception pool3 features: CMMD's CLIP ViT-L/14@336 weights are not available offline, so it
is NOT CMMD in CLIP space; the report says so wherever it shows it.

- metrics_disturbance: gen = the first n_disturb test images, disturbed as in the `disturbance` stage plus
  `training copies`; held = the other test images. The real-vs-real spread that each change is measured
  in: `floor_draws` random partitions of all 2,034 real images into train (1,017), gen (n_disturb) and
  held (the rest), every metric scored on each.
- metrics_bias: gen = N test images (or the same N with Gaussian noise sigma 4/255), train = N train
  images, held = another N train images (so the three-set metrics stop at N <= 508); seeded draws per N.
"""

from __future__ import annotations

import warnings
import zlib

import disturbances as dist
import numpy as np

NEW = [
    "vendi",
    "authpct",
    "ct",
    "ct-modified",
    "fld",
    "fld-gap",
    "topp",
    "topr",
    "rarity",
    "sw-approx",
    "mifid",
    "cmmd",
]
OLD = ["fid", "kid", "precision", "recall", "density", "coverage"]
THREE_SET = {"ct", "ct-modified", "fld", "fld-gap"}  # --train and the held-out set as --ref
CMMD_NOTE = (
    "cmmd = CMMD's estimator (biased MMD^2, RBF sigma 10, x1000, L2-normalised) on Inception pool3 "
    "features, not CMMD's CLIP ViT-L/14@336 space (its weights are not available offline; CLIP with random "
    "weights was not run: it would not be CMMD either, and one 336-px ViT-L/14 forward took ~48 s an image "
    "on this 2-core CPU under load, days for these sets)"
)
KID_SUBSETS = 10  # in the floor partitions and metrics_bias (the levels keep the default 100, as `disturbance`)
BIAS_DISTURBANCE = ("gaussian noise", 4)
KEEP_EXTRA = {  # small, summary parts of a metric's `extra` kept in the JSON (rarity's per-sample list is not)
    "rarity": ("inside_fraction", "quantiles"),
    "mifid": ("memorization_distance", "penalised"),
    "ct": ("cells_included",),
    "ct-modified": ("cells_included",),
    "fld": ("epochs",),
    "fld-gap": ("epochs",),
}


def fs(pool):
    from ganbench.features import FeatureSet

    return FeatureSet(np.ascontiguousarray(pool, dtype=np.float32))


def score_all(gen, train, held, names, seed: int = 0, kid_subsets: int = 100) -> dict:
    """Every metric in `names` on pool arrays; a metric that refuses the sets (too few samples) is
    recorded with its one-line error instead of a value. `held` None: the three-set metrics are skipped.
    `kid_subsets` below the default 100 (the floor partitions, metrics_bias): KID's mean over subsets is
    the same unbiased estimate, with more subset noise, for a tenth of its CPU."""
    from calibration import options

    from ganbench.errors import GanbenchError
    from ganbench.metrics import METRICS
    from ganbench.metrics.base import with_defaults

    g, t = fs(gen), fs(train)
    h = None if held is None else fs(held)
    opts = with_defaults(
        {**options(min(len(gen), len(train)), 0, seed), "kid_subsets": kid_subsets, "_memo": {}}
    )  # topp/topr share one fit
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-N and copy warnings: the report states N and the case
        for name in names:
            if name in THREE_SET and h is None:
                continue
            m = METRICS.get(name)
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            kw = {"train": t} if m.uses_train else {}
            try:
                v = m.compute(g, h if name in THREE_SET else t, opts, rng, **kw)
            except GanbenchError as e:
                out[name] = {"value": None, "error": str(e)}
                continue
            out[name] = {"value": float(v.value)}
            kept = {k: v.extra[k] for k in KEEP_EXTRA.get(name, ()) if k in v.extra}
            if kept:
                out[name]["extra"] = kept
    return out


def stage_disturbance(store, images, train, test, args, record, save, log) -> None:
    """Clean, then every level (strongest first), then the floor partitions; saved after each."""
    from calibration import disturbed, take

    n = args.n_disturb
    base = take(test, np.arange(n))
    held = test.pool[n:]
    res = record.setdefault(
        "metrics_disturbance",
        {
            "n": n,
            "train_n": train.n,
            "held_n": test.n - n,
            "cmmd": CMMD_NOTE,
            "floor_kid_subsets": KID_SUBSETS,
            "results": {},
            "floor": [],
        },
    )
    res["floor_kid_subsets"] = KID_SUBSETS  # a record begun before this key existed gets it too
    if "clean" not in res["results"]:
        res["results"]["clean"] = score_all(base.pool, train.pool, held, NEW + OLD)
        save(record)
    kinds = {**dist.LEVELS, **dist.COPY_LEVELS}
    for li in (3, 1, 0, 2):
        for kind, levels in kinds.items():
            key = f"{kind}|{levels[li]}"
            if key in res["results"]:
                continue
            names = NEW + OLD if kind in dist.COPY_LEVELS else NEW  # the others' OLD are in `disturbance`
            res["results"][key] = score_all(
                disturbed(store, images, base, kind, li, train).pool, train.pool, held, names
            )
            save(record)
            log(f"metrics_disturbance {key}")
    both = np.concatenate([train.pool, test.pool])
    for s in range(len(res["floor"]), args.floor_draws):
        perm = np.random.default_rng([8, s]).permutation(len(both))
        t, g, h = (both[perm[a:b]] for a, b in ((0, train.n), (train.n, train.n + n), (train.n + n, len(both))))
        res["floor"].append(score_all(g, t, h, NEW + OLD, s, KID_SUBSETS))
        save(record)
        log(f"metrics_disturbance floor {s + 1}/{args.floor_draws}")


def stage_bias(store, images, train, test, args, record, save, log) -> None:
    """Real vs real and real vs noisy real at each N; the same image rows in both conditions."""
    from calibration import disturbed, take

    kind, lvl = BIAS_DISTURBANCE
    noisy = disturbed(store, images, take(test, np.arange(test.n)), kind, dist.LEVELS[kind].index(lvl))
    res = record.setdefault(
        "metrics_bias",
        {
            "disturbance": f"{kind}|{lvl}",
            "pool": [test.n, train.n],
            "cmmd": CMMD_NOTE,
            "kid_subsets": KID_SUBSETS,
            "draws": {},
            "rows": [],
        },
    )
    done = {(r["n"], r["draw"]) for r in res["rows"]}
    for n in args.bias_n:
        n = min(n, test.n, train.n)
        full, d500 = min(test.n, train.n), max(2, args.metric_bias_draws // 2)
        draws = 1 if n >= full else args.metric_bias_draws if n < 500 else d500  # N >= 500 costs most
        res["draws"][str(n)] = draws
        for d in range(draws):
            if (n, d) in done:
                continue
            rng = np.random.default_rng([9, n, d])
            gi = rng.choice(test.n, n, replace=False) if n < test.n else np.arange(test.n)
            perm = rng.permutation(train.n) if n < train.n else np.arange(train.n)
            ti = perm[:n]
            hi = perm[n : 2 * n] if 2 * n <= train.n else None
            for cond, pool in (("real", test.pool), ("disturbed", noisy.pool)):
                s = score_all(
                    pool[gi],
                    train.pool[ti],
                    None if hi is None else train.pool[hi],
                    NEW + ["fid", "kid"],
                    d,
                    KID_SUBSETS,
                )
                res["rows"].append({"n": n, "draw": d, "condition": cond, "metrics": s})
            save(record)
            log(f"metrics_bias N={n} draw {d + 1}/{draws}")
