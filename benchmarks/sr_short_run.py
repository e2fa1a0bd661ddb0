"""A short CPU training of `srresnet` x2 scored against the bicubic floor and the untrained G (issue 23):
PSNR / SSIM on BT.601 Y with a border crop of 2 (as SR papers) on the held-out test squares of
`ganbench data sr --scale 2`, for every checkpoint of the run. Writes benchmarks/results/srresnet_x2_short.json.

    ganbench data sr --scale 2 -n 4000 -o sr_x2.npz
    OMP_NUM_THREADS=1 nohup ganbench train srresnet --out x2 --data sr_x2.npz --steps 800 \\
        --set arch=srresnet-x2 --checkpoint-every 200 --seed 0 &      # then --resume x2 --steps 1800
    python benchmarks/sr_short_run.py --run x2 --task sr_x2.npz

Not a board row (one seed, a few hundred steps): a sanity check that the model and the task work.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganbench  # noqa: E402
from ganbench.train import checkpoint, models, runs  # noqa: E402
from ganbench.train.sampling import load_generator  # noqa: E402
from ganbench.train.translate import translate  # noqa: E402


def _score(outputs: np.ndarray, test: Path, tmp: Path) -> dict:
    np.savez(tmp, outputs)
    res = ganbench.evaluate_paired(tmp, test, ["psnr", "ssim"], target_key="targets", paired_channel="y", paired_crop=2)
    return {k: round(float(res.metrics[k].value), 4) for k in ("psnr", "ssim")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--task", required=True, help="the training .npz of `ganbench data sr`; -test/-bicubic beside it")
    ap.add_argument("-o", default=str(ROOT / "benchmarks" / "results" / "srresnet_x2_short.json"))
    args = ap.parse_args()
    task = Path(args.task)
    test, floor = task.with_name(task.stem + "-test.npz"), task.with_name(task.stem + "-bicubic.npz")
    tmp = Path(args.run) / "_scored.npz"
    with np.load(test) as z:
        inputs = z["inputs"]
    with np.load(floor) as f:
        rows = {"bicubic": _score(f["arr_0"], test, tmp)}
    run = runs.read(args.run)
    G = models.build(run["config"], run["seed"]).G  # the untrained G of the run's seed
    rows["untrained"] = _score(translate(G, inputs), test, tmp)
    for step in checkpoint.list_steps(args.run):
        G, _ = load_generator(args.run, str(step), ema=False)
        rows[f"step {step}"] = _score(translate(G, inputs), test, tmp)
    tmp.unlink()
    out = {
        "what": "srresnet x2, one seed, PSNR/SSIM on Y, border crop 2, the 3 held-out 256x256 squares",
        "config": {k: run["config"][k] for k in ("arch", "batch_size", "lr_g", "beta1", "beta2")},
        "seed": run["seed"],
        "data": run["data"],
        "rows": rows,
    }
    Path(args.o).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
