"""Coverage of the topp, topr, fld and fld-gap intervals on toy Gaussian data (issue 30).

    OMP_NUM_THREADS=1 python benchmarks/interval_coverage.py [--draws 200]
    # ~10 minutes on one core; writes benchmarks/results/interval_coverage.md and .json

Each draw takes fresh samples and computes the metric with its 90% interval (--bootstrap 100, the
interval each module's docstring describes). What a sampling interval should cover is the mean of the
estimate over draws at the same sample sizes (its expectation); the table gives how often it does,
and the ratio of the intervals' mean half-width / 1.645 to the estimates' spread over draws (1 = the
interval is as wide as the sampling noise it claims). The large-n value (one draw, 10 x the samples)
is listed too, with how often it is covered: TopP&R's bandwidths and FLD's fit depend on n, so it is
not the same quantity, and an interval of the estimate at n need not cover it. The designs tried before
the present one are noted under the table (a rerun rewrites the table only: keep the note).

TopP&R: reference N(0, I_8), samples N(e_1, I_8), 400 a side (d = 8 < 32: no projection).
FLD: training set N(0, I_8) (300, fixed: the intervals are conditional on it), held-out N(0, I_8)
and samples N(0, 1.2^2 I_8), 300 each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganbench.metrics import METRICS  # noqa: E402
from ganbench.metrics.base import Features  # noqa: E402

D, CONF, BOOT = 8, 0.9, 100


def _topr_sets(rng, n):
    shift = np.zeros(D)
    shift[0] = 1.0
    return rng.normal(size=(n, D)), rng.normal(size=(n, D)) + shift  # reference, samples


def _fld_sets(rng, n):
    return rng.normal(size=(n, D)), rng.normal(size=(n, D)) * 1.2  # held-out, samples


def run(draws: int, seed: int = 0, groups=("top-pr", "fld")) -> dict:
    out = {}
    train = Features(np.random.default_rng([seed, 99]).normal(size=(300, D)))
    for group, names, make, n in (
        ("top-pr", ("topp", "topr"), _topr_sets, 400),
        ("fld", ("fld", "fld-gap"), _fld_sets, 300),
    ):
        if group not in groups:
            continue
        rng = np.random.default_rng([seed, len(group)])
        got = {m: [] for m in names}
        t = time.perf_counter()
        for i in range(draws):
            ref, gen = make(rng, n)
            opts = {"bootstrap": BOOT, "confidence": CONF, "bootstrap_seed": i, "_memo": {}}
            for m in names:
                more = {"train": train} if METRICS.get(m).uses_train else {}
                v = METRICS.get(m).compute(Features(gen), Features(ref), opts, None, **more)
                got[m].append((v.value, *v.ci))
        seconds = time.perf_counter() - t
        ref, gen = make(np.random.default_rng([seed, 7]), 10 * n)
        for m in names:
            more = {"train": train} if METRICS.get(m).uses_train else {}
            large = METRICS.get(m).compute(Features(gen), Features(ref), {"bootstrap": 0}, None, **more).value
            a = np.array(got[m])
            mean = a[:, 0].mean()
            half = (a[:, 2] - a[:, 1]).mean() / 2
            out[m] = {
                "draws": draws,
                "n": n,
                "mean_estimate": float(mean),
                "sd_estimate": float(a[:, 0].std(ddof=1)),
                "covers_mean": float(((a[:, 1] <= mean) & (mean <= a[:, 2])).mean()),
                "width_ratio": float(half / 1.645 / a[:, 0].std(ddof=1)),
                "large_n_value": float(large),
                "covers_large_n": float(((a[:, 1] <= large) & (large <= a[:, 2])).mean()),
                "seconds_per_draw": seconds / draws,
            }
            print(m, out[m], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--groups", default="top-pr,fld", help="top-pr, fld or both; the others' rows are kept")
    a = ap.parse_args()
    results = REPO / "benchmarks" / "results"
    old = results / "interval_coverage.json"
    res = json.loads(old.read_text()) if old.is_file() else {}
    res.update(run(a.draws, groups=a.groups.split(",")))
    (results / "interval_coverage.json").write_text(json.dumps(res, indent=2) + "\n")
    se = (CONF * (1 - CONF) / a.draws) ** 0.5
    lines = [
        f"# Coverage of the 90% intervals of topp, topr, fld, fld-gap ({a.draws} draws, --bootstrap {BOOT})",
        "",
        (
            f"`python benchmarks/interval_coverage.py --draws {a.draws}`; toy Gaussians in {D} dimensions (see "
            f"the script). Coverage of the mean estimate should be 0.90 (one standard error {se:.3f})."
        ),
        "",
        "| metric | n | mean estimate | sd over draws | covers the mean | width / sd | large-n value | covers it |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m, r in res.items():
        lines.append(
            f"| {m} | {r['n']} | {r['mean_estimate']:.4g} | {r['sd_estimate']:.3g} | {r['covers_mean']:.3f} | "
            f"{r['width_ratio']:.2f} | {r['large_n_value']:.4g} | {r['covers_large_n']:.3f} |"
        )
    (results / "interval_coverage.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
