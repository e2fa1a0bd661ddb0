"""KID's 95% interval before and after issue 9, against the spread of KID over the data itself.

    python benchmarks/intervals.py            # ~2 minutes on 2 CPU cores; writes benchmarks/results/intervals.md

Features: the random-init Inception of the exact FID architecture (NOT the official weights) on
200 CIFAR-10 train vs 200 test images of the excerpt in ../shared/data. KID in subsets of 100.
"before" bootstraps the per-subset MMD^2 values (main up to issue 9); "after" is ganbench's
interval now (both sets resampled). The data's own spread is the standard deviation of KID over
resamples of both sets, and over 30 random 200/200 draws from the excerpt's 1,017 + 1,017 images.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganbench.features import InceptionExtractor, get_features  # noqa: E402
from ganbench.features.random_weights import write_random_inception  # noqa: E402
from ganbench.metrics import METRICS  # noqa: E402
from ganbench.metrics.base import Features, percentile_ci  # noqa: E402
from ganbench.metrics.kid import bootstrap_mmd2, kid_subsets  # noqa: E402

N, SIZE, BOOT = 200, 100, 200


def main() -> None:
    with np.load(REPO.parent / "shared" / "data" / "cifar10-excerpt.npz") as z:
        train, test = z["train_images"], z["test_images"]
    with tempfile.TemporaryDirectory() as tmp:
        ex = InceptionExtractor(weights=write_random_inception(Path(tmp) / "w.pth"), device="cpu")
        pool_train = get_features(train, extractor=ex, use_cache=False).pool
        pool_test = get_features(test, extractor=ex, use_cache=False).pool
    x, y = pool_train[:N], pool_test[:N]
    rows = []
    for subsets in (20, 100, 500):
        opts = dict(kid_subsets=subsets, kid_subset_size=SIZE, bootstrap=BOOT)
        per_subset = kid_subsets(x, y, opts)
        rng = np.random.default_rng(0)
        before = percentile_ci([per_subset[rng.integers(0, subsets, subsets)].mean() for _ in range(BOOT)], 0.95)
        after = METRICS.get("kid").compute(Features(x), Features(y), opts, np.random.default_rng(0)).ci
        rows.append((subsets, per_subset.mean(), before, after))
    resample_sd = float(np.std(bootstrap_mmd2(x, y, 1000, {}, np.random.default_rng(1))))
    rng = np.random.default_rng(2)
    draws = [
        kid_subsets(
            pool_train[rng.choice(len(pool_train), N, replace=False)],
            pool_test[rng.choice(len(pool_test), N, replace=False)],
            dict(kid_subsets=100, kid_subset_size=SIZE),
        ).mean()
        for _ in range(30)
    ]
    lines = [
        f"# KID 95% intervals, {N} vs {N} images, subsets of {SIZE} (random-init Inception, NOT official)",
        "",
        "| subsets | KID | before: interval | width | after: interval | width |",
        "| ---: | ---: | --- | ---: | --- | ---: |",
    ]
    for s, v, b, a in rows:
        lines.append(
            f"| {s} | {v:.4f} | [{b[0]:.4f}, {b[1]:.4f}] | {b[1] - b[0]:.4f} | "
            f"[{a[0]:.4f}, {a[1]:.4f}] | {a[1] - a[0]:.4f} |"
        )
    lines += [
        "",
        f"Spread of KID over the data: std {resample_sd:.4f} over resamples of both sets "
        f"(3.92 std = {3.92 * resample_sd:.4f}); std {np.std(draws):.4f} over 30 random {N}/{N} draws from "
        f"the excerpt (3.92 std = {3.92 * np.std(draws):.4f}).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = REPO / "benchmarks" / "results" / "intervals.md"
    out.write_text(text)


if __name__ == "__main__":
    main()
