"""What bounds the two open CPU speed goals of issue 24, measured on this machine in one run:

1. FID from 2 x 50,000 x 2048 features, >= 5x pytorch-fid at float64 results. Both covariances are
   N d^2 multiply-adds each even as a symmetric rank-k update (dsyrk, what ganbench uses; np.cov does twice
   that); at this machine's measured float64 matrix-product peak they alone take a fixed time, and the
   square-root term adds its own. The best ratio any float64 method could reach is pytorch-fid's time over
   that floor.
2. Training step >= 1.3x the reference for dcgan and wgan-gp at the same numerics. Both run the same
   convolutions (oneDNN) on the same shapes; the profiler's share of convolution forward/backward in
   ganbench's step bounds what any change outside them can give: 1 / share.

    python benchmarks/cpu_bounds.py --out benchmarks/results/cpu_bounds.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def dgemm_peak(n: int = 3072, reps: int = 3) -> float:
    a = np.random.default_rng(0).standard_normal((n, n))
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def fid_floor(n: int, d: int) -> dict:
    import torch  # noqa: F401 - ganbench's FID imports it; loaded before timing
    from common import synthetic_features
    from pytorch_fid.fid_score import calculate_frechet_distance

    from ganbench.metrics.fid import frechet_distance
    from ganbench.stats import GaussianStats

    a, b = synthetic_features(n, d, 0), synthetic_features(n, d, 1, scale=1.05)
    peak = dgemm_peak()
    t_cov = _timed(lambda: GaussianStats.from_features(a))
    ga, gb = GaussianStats.from_features(a), GaussianStats.from_features(b)
    t_sqrt = _timed(lambda: frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma))
    t_ours = _timed(lambda: frechet_distance(*_stats(a, b)))

    def pfid():
        return calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))

    t_ref = _timed(pfid)
    floor = 2 * (n * d * d) / (peak * 1e9) + t_sqrt  # two syrks at the dgemm peak, plus the square-root term
    return {
        "n": n,
        "d": d,
        "float64_matmul_peak_gflops": peak,
        "one_covariance_s": t_cov,
        "sqrt_term_s": t_sqrt,
        "ganbench_s": t_ours,
        "pytorch_fid_s": t_ref,
        "ratio_now": t_ref / t_ours,
        "floor_s": floor,
        "best_possible_ratio": t_ref / floor,
        "syrk_fraction_of_peak": (n * d * d) / t_cov / (peak * 1e9),
    }


def _stats(a, b):
    from ganbench.stats import GaussianStats

    ga, gb = GaussianStats.from_features(a), GaussianStats.from_features(b)
    return ga.mu, ga.sigma, gb.mu, gb.sigma


def conv_share(name: str, steps: int = 3) -> dict:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from ganbench.baselines import baseline_config
    from ganbench.train.data import TrainData
    from ganbench.train.loop import Trainer
    from ganbench.train.options import resolve

    images = np.random.default_rng(0).integers(0, 256, (1024, 32, 32, 3), dtype=np.uint8)
    cfg = resolve(baseline_config(name)["train"], {"batch_size": 64, "g_batch_size": 128, "lr_schedule": "constant"})
    tr = Trainer(cfg, TrainData("bench", "images", (3, 32, 32), images), 0, channels_last=True)
    tr.train_step()
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(steps):
            tr.train_step()
    rows = {e.key: e.self_cpu_time_total for e in p.key_averages()}
    total = sum(rows.values())
    conv = sum(v for k, v in rows.items() if "convolution" in k)
    return {"baseline": name, "conv_share": conv / total, "bound": total / conv, "threads": torch.get_num_threads()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cpu_bounds.md")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n, d = (2000, 256) if args.quick else (50000, 2048)
    f = fid_floor(n, d)
    print(json.dumps(f), flush=True)
    shares = [conv_share(b, 1 if args.quick else 3) for b in ("dcgan", "wgan-gp")]
    for s in shares:
        print(json.dumps(s), flush=True)
    load = os.getloadavg()
    lines = [
        f"# What bounds the open CPU speed goals (`python benchmarks/cpu_bounds.py`), {os.cpu_count()} CPUs, "
        f"load average at the end {load[0]:.2f}",
        "",
        f"## FID from 2 x {n:,} x {d} features (goal: >= 5x pytorch-fid)",
        "",
        "| float64 matmul peak | one covariance (dsyrk) | its share of peak | square-root term | ganbench | "
        "pytorch-fid | ratio now | float64 floor | best possible ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {f['float64_matmul_peak_gflops']:.1f} GFLOP/s | {f['one_covariance_s']:.2f} s | "
        f"{100 * f['syrk_fraction_of_peak']:.0f}% | {f['sqrt_term_s']:.2f} s | {f['ganbench_s']:.2f} s | "
        f"{f['pytorch_fid_s']:.2f} s | {f['ratio_now']:.2f}x | {f['floor_s']:.2f} s | "
        f"{f['best_possible_ratio']:.2f}x |",
        "",
        "The floor is two N d^2 multiply-add covariances at the measured float64 matrix-product peak plus "
        "the square-root term as it runs now. A float64 result cannot be had faster on this machine; a lower "
        "precision accumulation would, and the goal's 1e-6 relative bound on FID rules it out.",
        "",
        "## Training step (goal: >= 1.3x the reference at the same numerics)",
        "",
        "| baseline | convolution share of ganbench's step | bound on any speed-up outside the convolutions |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {s['baseline']} | {100 * s['conv_share']:.0f}% | {s['bound']:.2f}x |" for s in shares]
    lines += [
        "",
        "Both implementations run the same convolutions (oneDNN, same shapes, batch 64); making the rest of "
        "the step free would give at most the bound above over today's ganbench step.",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"fid": f, "train": shares}, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
