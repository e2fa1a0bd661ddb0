"""4. Peak memory at N = 50,000: FID-only evaluation must stay O(d^2), not O(N d).

Each path runs in a fresh process (benchmarks/memory_probe.py). The CPU cannot push 50,000
images through Inception in benchmark time, so the pipeline runs with a cheap stand-in
extractor there: what is measured is what the pipeline keeps (features or running sums). On
CUDA the real network runs the 50,000 images too and its GPU peak is reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parent / "memory_probe.py"
D = 2048


def _probe(mode, n, *extra):
    env = dict(os.environ, GANBENCH_QUIET="1")
    p = subprocess.run(
        [sys.executable, str(PROBE), mode, str(n), *map(str, extra)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(PROBE.parents[1]),
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _n(quick):
    return 5_000 if quick else 50_000


MODES = {
    "ganbench-stats": ("ganbench, FID only (streamed float64 moments)", "stand-in extractor"),
    "ganbench-features": ("ganbench, all features kept (IS/KID/PRDC)", "stand-in extractor"),
    "torch-fidelity-stats": ("torch-fidelity FID path (features held, np.cov)", "stand-in extractor"),
}


@pytest.mark.parametrize("mode", list(MODES))
def bench_memory(mode, report, quick):
    n = _n(quick)
    r = _probe(mode, n)
    label, note = MODES[mode]
    report.add(
        "memory",
        f"N={n:,}, 2048-d",
        label,
        peak_rss_mb=r["peak_rss_mb"],
        delta_rss_mb=r["delta_rss_mb"],
        note=note + "; delta = peak - RSS before extraction (inputs loaded)",
    )


def bench_memory_inception(report, weights, device, quick):
    """The real network: on CUDA over N = 50,000 (GPU peak too); on CPU over a few hundred images."""
    n = _n(quick) if device.startswith("cuda") else (64 if quick else 256)
    r = _probe("ganbench-inception-stats", n, weights, device)
    report.add(
        "memory",
        f"N={n:,}, Inception",
        "ganbench, FID only, real network",
        peak_rss_mb=r["peak_rss_mb"],
        delta_rss_mb=r["delta_rss_mb"],
        gpu_peak_mb=r["gpu_peak_mb"],
        note="model + activations of the automatic batch"
        + ("" if device.startswith("cuda") else "; CPU: N limited by time"),
    )


def bench_memory_targets(report, quick):
    rows = {r["impl"]: r for r in report.rows if r["bench"] == "memory"}
    stats = rows.get(MODES["ganbench-stats"][0])
    feats = rows.get(MODES["ganbench-features"][0])
    if not stats or not feats:
        pytest.skip("needs the memory rows")
    n = _n(quick)
    features_mb = n * D * 4 / 2**20
    # O(d^2): a few (d, d) float64 arrays (32 MiB each) and one block of rows, whatever N is
    bound_mb = 12 * D * D * 8 / 2**20
    # O(d^2) means independent of N: the same pipeline on a tenth of the images
    small = _probe("ganbench-stats", n // 10)
    report.add(
        "memory",
        f"N={n // 10:,}, 2048-d",
        MODES["ganbench-stats"][0],
        peak_rss_mb=small["peak_rss_mb"],
        delta_rss_mb=small["delta_rss_mb"],
        note="the same path on a tenth of the images",
    )
    growth = stats["delta_rss_mb"] - small["delta_rss_mb"]
    # below one dsyrk block (BLOCK rows) the block buffer is only partly touched, so allow for it;
    # the quick run's sizes (5,000 and 500) are too small to tell O(d^2) from O(N d) at all
    from ganbench.stats.gaussian import BLOCK

    allowance = 0.1 * features_mb + BLOCK * D * 8 / 2**20
    met = stats["delta_rss_mb"] <= bound_mb and (quick or (growth < allowance and stats["delta_rss_mb"] < features_mb))
    report.check(
        "memory",
        met,
        f"N={n:,}: FID-only pipeline +{stats['delta_rss_mb']:.0f} MB, at N={n // 10:,} "
        f"+{small['delta_rss_mb']:.0f} MB (10x the images: {growth:+.0f} MB; bound for O(d^2): "
        f"{bound_mb:.0f} MB; the features alone would be {features_mb:.0f} MB); all features kept: "
        f"+{feats['delta_rss_mb']:.0f} MB",
    )
    assert met
