"""What the gates' paired bootstrap costs: `compare` of three 508-image sets against a 508-image
reference with the default metrics (fid, kid, precision, recall) and the default 200 replicates,
from 2048-d features (the bootstrap alone: extraction is timed in bench_extract.py).

    python benchmarks/bench_gates.py [--bootstrap 200]   # writes benchmarks/results/gates_bootstrap.md

Not part of `benchmarks/run.py`'s pytest files."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from ganbench.defaults import DEFAULTS
    from ganbench.features.featureset import FeatureSet
    from ganbench.gates.paired import paired

    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", type=int, default=DEFAULTS["gate_bootstrap"])
    ap.add_argument("--n", type=int, default=508)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    space = "inception-v3-compat"
    models = [{space: FeatureSet(rng.normal(size=(a.n, 2048)).astype(np.float32))} for _ in range(3)]
    ref = {space: FeatureSet(rng.normal(size=(a.n, 2048)).astype(np.float32))}
    opts = {"kid_subset_size": min(1000, a.n)}
    rows = []
    for name in ("fid", "kid", "precision", "recall"):
        t = time.perf_counter()
        paired([name], models, ref, opts, a.bootstrap, 0)
        rows.append((name, time.perf_counter() - t))
        print(name, round(rows[-1][1], 1), "s", flush=True)
    total = sum(s for _n, s in rows)
    lines = [
        "# Paired bootstrap cost of `compare` (3 models + reference, 2048-d features)",
        "",
        f"`python benchmarks/bench_gates.py --bootstrap {a.bootstrap} --n {a.n}`: {a.n} images per set, "
        f"{a.bootstrap} replicates, CPU with {os.cpu_count()} cores shared with other jobs (1-minute load "
        f"average {os.getloadavg()[0]:.1f} at the end: an idle machine is faster).",
        "",
        "| metric | seconds |",
        "| --- | ---: |",
    ]
    lines += [f"| {n} | {s:.1f} |" for n, s in rows] + [f"| all four | {total:.1f} |"]
    out = Path(__file__).parent / "results" / "gates_bootstrap.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
