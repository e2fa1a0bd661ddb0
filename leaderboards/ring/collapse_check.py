"""How a ring generator's samples sit: is it collapsed *sharply* (one tight blob on a mode, VEEGAN's GAN
row: 1 mode, 99.3% high quality), or collapsed but blurred, or moving between modes?

    python leaderboards/ring/collapse_check.py leaderboards/ring/records/*.samples.npz
    python leaderboards/ring/collapse_check.py --run RUN_DIR        # every checkpoint of one run

Per sample set: the share of samples whose nearest mode is the most common one, the median distance to
the nearest mode and the spread (RMS distance to the samples' centroid), both in units of the ring's
sigma (0.02; high quality is within 3), the centroid's angle on the ring (modes at multiples of 45 deg)
and radius (modes at 2), and the high-quality fraction. The numbers in the ring board's notes come
from this script. Results go to stdout.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np


def describe(x: np.ndarray) -> dict:
    from ganbench.toydata import score
    from ganbench.toydata.mixtures import _nearest, mixture

    mix = mixture("ring")
    nearest, d2 = _nearest(x.astype(np.float64), mix.centres)
    top = np.bincount(nearest, minlength=len(mix.centres)).argmax()
    c = x.mean(0)
    return {
        "dominant_share": float((nearest == top).mean()),
        "median_dist_sigma": float(np.median(np.sqrt(d2)) / mix.sigma),
        "spread_sigma": float(np.sqrt(((x - c) ** 2).sum(1).mean()) / mix.sigma),
        "centroid_deg": float(np.degrees(np.arctan2(c[1], c[0])) % 360),
        "centroid_r": float(np.hypot(*c)),
        "hq": score("ring", x)["high_quality_fraction"],
    }


def _line(name, d) -> str:
    return (
        f"{name}: dominant mode {d['dominant_share']:.3f} of samples, median distance {d['median_dist_sigma']:.1f} "
        f"sigma, spread {d['spread_sigma']:.1f} sigma, centroid {d['centroid_deg']:.0f} deg r {d['centroid_r']:.2f}, "
        f"high quality {d['hq']:.3f}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples", nargs="*", help=".npz sample files (key `samples`)")
    ap.add_argument("--run", help="a run folder: describe every checkpoint (2,500 samples, seed 0)")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    for path in args.samples:
        print(_line(Path(path).name, describe(np.load(path)["samples"])), flush=True)
    if args.run:
        from ganbench.train.checkpoint import list_steps
        from ganbench.train.sampling import sample

        for step in list_steps(Path(args.run)):
            x, _info = sample(args.run, 2500, seed=0, checkpoint=step, progress=False)
            print(_line(f"step {step}", describe(np.asarray(x))), flush=True)


if __name__ == "__main__":
    main()
