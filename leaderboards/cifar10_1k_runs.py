"""Train the runs of the cifar10-1k board (`leaderboards/cifar10-1k/board.toml`: its [recipe] and
[[setting]]s), then write one evaluation record per run into `leaderboards/cifar10-1k/records/`.

    python leaderboards/cifar10_1k_runs.py --runs /tmp/c1k-runs --shard 0/2 --train-only   # two of these side by side
    python leaderboards/cifar10_1k_runs.py --runs /tmp/c1k-runs --records-only

Every run is `ganbench train BASELINE --data EXCERPT --key train_images --steps S --seed K --set ...
--eval-every E --eval-n N` and every record `ganbench eval RUN --ref EXCERPT --ref-key test_images --n 1017
--train EXCERPT --train-key train_images --bootstrap B --json RECORD`; both commands are stored in the record.
CPU only. Progress goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BOARD = HERE / "cifar10-1k"
# the board's metrics; ct is the memorisation diagnostic (Meehan et al. 2020's data-copying test: samples
# nearer the 1,017 training images than the held-out test images are, cell by cell, give C_T << 0)
METRICS = ["fid", "kid", "precision", "recall", "density", "coverage", "ct"]


def plan(runs: Path) -> list:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    board = tomllib.loads((BOARD / "board.toml").read_text())
    r = board["recipe"]
    items = []
    for s in board["setting"]:
        slug = s["label"].replace(" + ", "-").replace(" ", "-").lower()
        for seed in r["seeds"]:
            items.append(
                {
                    "recipe": r,
                    "setting": s,
                    "seed": int(seed),
                    "name": f"{slug}-s{seed}",
                    "run_dir": runs / f"{slug}-s{seed}",
                }
            )
    return items


def _sets(s: dict) -> list:
    return [f"{k}={v}" for k, v in s.get("set", {}).items()]


def commands(item: dict) -> dict:
    r, s, name = item["recipe"], item["setting"], item["name"]
    sets = "".join(f" --set {x}" for x in _sets(s))
    return {
        "train": f"ganbench train {s['baseline']} --data {r['data']} --key {r['key']} --steps {r['steps']} "
        f"--seed {item['seed']}{sets} --eval-every {r['eval_every']} --eval-n {r['eval_n']} --out runs/{name}",
        "score": f"ganbench eval runs/{name} --ref {r['data']} --ref-key {r['ref_key']} --n {r['n']} "
        f"--sample-seed {r['sample_seed']} --metrics {','.join(METRICS)} --train {r['data']} --train-key {r['key']} "
        f"--bootstrap {r['bootstrap']} --json leaderboards/cifar10-1k/records/{name}.json",
    }


def finished(item: dict) -> bool:
    from ganbench.train.checkpoint import list_steps

    steps = list_steps(item["run_dir"])
    return bool(steps) and steps[-1] >= item["recipe"]["steps"]


def train_run(item: dict) -> None:
    import shutil

    import ganbench
    from ganbench.features.weights import resolve_weights

    weights = resolve_weights(None)  # the official pool3 weights (`ganbench fetch inception`), for --eval-every
    if not weights.official:
        raise SystemExit(
            "the cifar10-1k board needs the official FID Inception weights: run `ganbench fetch inception`"
        )
    if item["run_dir"].exists():  # an interrupted run: start it again, the seed makes it the same
        shutil.rmtree(item["run_dir"])
    r, s = item["recipe"], item["setting"]
    ganbench.train(
        s["baseline"],
        out=item["run_dir"],
        data=str(REPO / r["data"]),
        key=r["key"],
        steps=r["steps"],
        seed=item["seed"],
        set=dict(x.split("=", 1) for x in _sets(s)),
        eval_every=r["eval_every"],
        eval_n=r["eval_n"],
        checkpoint_every=r["steps"],
        weights=str(weights.path),
        progress=False,
    )


def training_log(run_dir: Path) -> list:
    """The run's --eval-every lines (FID/KID of eval_n samples against the training images): the curve that
    shows whether a run had plateaued. Not the board's protocol (that is the record's own metrics)."""
    from ganbench.train.monitor import read_log

    return [
        {k: v for k, v in row.items() if k != "kind"}
        for _line, row in read_log(run_dir / "metrics.jsonl")
        if row.get("kind") == "eval"
    ]


def attach_log(item: dict, path: Path) -> bool:
    """A record written before records carried the training log gets it from its run (nothing re-scored)."""
    from ganbench.cache import atomic_path

    rec = json.loads(path.read_text())
    if "training_log" in rec["provenance"]:
        return False
    rec["provenance"]["training_log"] = training_log(item["run_dir"])
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(rec, indent=2) + "\n")
    return True


def write_record(item: dict) -> Path:
    import ganbench
    from ganbench.cache import atomic_path

    r = item["recipe"]
    res = ganbench.evaluate(
        item["run_dir"],
        ref=str(REPO / r["data"]),
        ref_key=r["ref_key"],
        n=r["n"],
        sample_seed=r["sample_seed"],
        train=str(REPO / r["data"]),
        train_key=r["key"],
        bootstrap=r["bootstrap"],
        progress=False,
        metrics=METRICS,
    )
    res.run["setting"] = item["setting"]["label"]
    res.provenance["commands"] = commands(item)
    res.provenance["training_log"] = training_log(item["run_dir"])
    out = BOARD / "records" / f"{item['name']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(res.to_json())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True, type=Path, help="where the run folders go (done runs are skipped)")
    ap.add_argument("--records-only", action="store_true")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--shard", default="0/1", help="I/N: train every N-th run from the I-th")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    i, n = (int(x) for x in args.shard.split("/"))
    items = plan(args.runs)
    for item in items[i::n] if not args.records_only else items:
        if not args.records_only and not finished(item):
            t = time.perf_counter()
            train_run(item)
            print(f"trained {item['name']} in {time.perf_counter() - t:.0f} s", flush=True)
        rec = BOARD / "records" / f"{item['name']}.json"
        if finished(item) and not args.train_only and rec.exists():
            if attach_log(item, rec):
                print(f"training log attached to {rec.name}", flush=True)
            continue
        if finished(item) and not args.train_only:
            t = time.perf_counter()
            print(f"record {write_record(item).name} in {time.perf_counter() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
