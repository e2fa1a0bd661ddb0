"""What the gradient monitor costs: the generator-step time of one trainer capturing the per-layer gradient
norms of G and D at every step (`--grad-every 1`, the worst case) against an identical one with it off,
in the same process, steps interleaved (off, on, off, on, ...) so that other load on the machine falls
on both alike; each capturing step also writes its `grads` line to a metrics.jsonl, as a run does.
Reported: the median step times and their ratio, and what that ratio means at the default of every 100
steps. A plain script (no pytest-benchmark): CI never runs it.

    OMP_NUM_THREADS=1 python benchmarks/bench_grad_monitor.py --out benchmarks/results/grad_monitor.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganbench.baselines import ARCHITECTURES  # noqa: E402
from ganbench.records import environment  # noqa: E402
from ganbench.train import monitor  # noqa: E402
from ganbench.train.data import open_data  # noqa: E402
from ganbench.train.loop import Trainer  # noqa: E402
from ganbench.train.resume import DEFAULTS  # noqa: E402
from ganbench.train.session import resolve_config  # noqa: E402

DATA = Path(os.environ.get("GANBENCH_SHARED_DATA", REPO.parent / "shared" / "data")) / "cifar10-excerpt.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default="dcgan-small")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30, help="timed steps of each trainer")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "grad_monitor.md")
    a = ap.parse_args()
    _base, cfg = resolve_config(
        a.baseline, {"batch_size": a.batch, "g_batch_size": a.batch, "data": str(DATA), "steps": a.warmup + a.steps}
    )
    data = open_data(cfg["data"], ARCHITECTURES.get(cfg["arch"]).shape, key="train_images")
    off, on = (Trainer(cfg, data, 0, channels_last=True) for _ in range(2))
    on.grad_every = 1
    times = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        log = monitor.Log(tmp)
        for i in range(a.warmup + a.steps):
            for name, tr in (("off", off), ("on", on)):
                t = time.perf_counter()
                tr.train_step()
                if tr.layer_grads is not None:
                    log.write(monitor.grads_record(tr.step, tr.layer_grads))
                if i >= a.warmup:
                    times[name].append(time.perf_counter() - t)
        lines = len((Path(tmp) / "metrics.jsonl").read_text().splitlines())
    assert lines == a.warmup + a.steps, lines
    # the monitor changes no trained number: both trainers end with the same weights
    same = all(
        torch.equal(p, q)
        for k in ("G", "D")
        for p, q in zip(off.nets.nets[k].parameters(), on.nets.nets[k].parameters())
    )
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["on"] / med["off"]
    layers = {k: len(v) for k, v in on.layer_grads.items()}
    res = {
        "baseline": a.baseline,
        "batch": a.batch,
        "steps_timed": a.steps,
        "warmup": a.warmup,
        "threads": torch.get_num_threads(),
        "median_s_per_step": med,
        "ratio_on_over_off": ratio,
        "overhead_at_default": (ratio - 1) / DEFAULTS["grad_every"],
        "default_grad_every": DEFAULTS["grad_every"],
        "layers": layers,
        "weights_identical": same,
        "load_average": os.getloadavg(),
        "environment": environment(torch.device("cpu")),
        "times_s": times,
        "command": f"OMP_NUM_THREADS=1 python benchmarks/bench_grad_monitor.py --baseline {a.baseline} "
        f"--batch {a.batch} --steps {a.steps}",
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    text = (
        f"# Gradient monitor cost ({a.baseline}, batch {a.batch}, CPU, {res['threads']} thread(s))\n\n"
        f"Median of {a.steps} generator steps (1 D + 1 G update each) after {a.warmup} warm-up steps, two "
        f"trainers of the same seed interleaved in one process; `on` reads `gradients.layer_norms` of G "
        f"({layers['G']} layers) and D ({layers['D']} layers) and writes a `grads` line every step. "
        f"Load average at the end: {', '.join(f'{x:.2f}' for x in res['load_average'])}. "
        f"`{res['command']}`\n\n"
        "| --grad-every | s/step | ratio |\n| --- | ---: | ---: |\n"
        f"| 0 (off) | {med['off']:.4f} | 1.000 |\n| 1 | {med['on']:.4f} | {ratio:.3f} |\n\n"
        f"At the default `--grad-every {DEFAULTS['grad_every']}` the expected cost is (ratio - 1) / "
        f"{DEFAULTS['grad_every']} = {100 * res['overhead_at_default']:.3f}% of the training time. "
        f"Weights after the run identical with and without the monitor: {same}.\n"
    )
    a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
