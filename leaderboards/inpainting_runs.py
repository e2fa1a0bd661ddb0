"""Inpainting rows for the image-to-image board (issue 27, section 4): train `context-encoder` on the CIFAR-10
excerpt's train_images (centre holes) for a few seeds, and score it and the two floors on its test_images
with the masked paired evaluation, one record each into RECORDS.

    python leaderboards/inpainting_runs.py RECORDS --runs /tmp/inpaint-runs [--steps 1000] [--seeds 0,1,2] [--fid]

Every step is a `ganbench` command run in the runs folder (file names relative to it); each record stores
the commands that made it:
  data:   ganbench data inpainting --source EXCERPT --key train_images|test_images -o inpainting-train|test.npz
  floors: ganbench data inpainting-floor --source inpainting-test.npz --fill identity|mean
          [--train inpainting-train.npz] -o identity-fill|mean-fill.npz
  train:  ganbench train context-encoder --data inpainting-train.npz --steps S --seed K --set arch=pix2pix-small
          --checkpoint-every S --out context-encoder-sK
  output: ganbench sample context-encoder-sK --input inpainting-test.npz -o context-encoder-sK.outputs.npz
  score:  ganbench eval OUTPUTS --target inpainting-test.npz --lpips-weights random --bootstrap B --json NAME.json
          (the test pairs carry their mask: psnr/ssim/lpips score the hole; --fid adds fid,kid of the completed
          images)
The network is pix2pix-small (ngf = ndf = 8), the CPU-sized U-Net, not the full-width baseline: the records
say so in their `set`. LPIPS uses random backbone weights (offline machine): NOT official, comparable only
between these rows. CPU only; progress on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXCERPT = "../shared/data/cifar10-excerpt.npz"  # relative to the repository root, as the other boards
SETS = {"arch": "pix2pix-small"}


def ganbench(cmd: str, runs: Path) -> None:
    """Run one stored `ganbench ...` command in the runs folder (stderr, progress bars, to commands.log)."""
    args = shlex.split(cmd)
    assert args[0] == "ganbench"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    with open(runs / "commands.log", "ab") as err:
        r = subprocess.run([sys.executable, "-m", "ganbench", *args[1:]], cwd=runs, env=env, stdout=err, stderr=err)
    if r.returncode:
        raise SystemExit(f"failed ({r.returncode}): {cmd} (see {runs / 'commands.log'})")


def data_commands() -> dict:
    return {
        k: f"ganbench data inpainting --source {EXCERPT} --key {k}_images -o inpainting-{k}.npz"
        for k in ("train", "test")
    }


def floor_commands() -> dict:
    return {
        "identity-fill": "ganbench data inpainting-floor --source inpainting-test.npz --fill identity "
        "-o identity-fill.npz",
        "mean-fill": "ganbench data inpainting-floor --source inpainting-test.npz --fill mean "
        "--train inpainting-train.npz -o mean-fill.npz",
    }


def score_command(outputs: str, record: str, bootstrap: int, fid: bool) -> str:
    metrics = " --metrics psnr,ssim,lpips,fid,kid" if fid else ""
    return (
        f"ganbench eval {outputs} --target inpainting-test.npz --lpips-weights random{metrics} "
        f"--bootstrap {bootstrap} --json {record}"
    )


def train_command(steps: int, seed: int) -> str:
    sets = "".join(f" --set {k}={v}" for k, v in SETS.items())
    return (
        f"ganbench train context-encoder --data inpainting-train.npz --steps {steps} --seed {seed}{sets} "
        f"--checkpoint-every {steps} --out context-encoder-s{seed}"
    )


def record(path: Path, records: Path, run: dict, commands: dict) -> Path:
    """The record `ganbench eval` wrote, with the row it belongs to (its run block) and its commands."""
    from ganbench.cache import atomic_path

    rec = json.loads(path.read_text())
    rec["run"] = run
    rec["provenance"]["commands"] = commands
    for side in ("samples", "reference"):  # file names relative to the runs folder, as in the commands
        if rec["provenance"][side].get("path"):
            rec["provenance"][side]["path"] = Path(rec["provenance"][side]["path"]).name
    out = records / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(json.dumps(rec, indent=2) + "\n")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("records", type=Path, help="where the records go (e.g. leaderboards/image-to-image/records)")
    ap.add_argument("--runs", type=Path, required=True, help="where the data, runs and outputs go")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--fid", action="store_true", help="also fid,kid of the completed images (Inception on CPU)")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    runs, records = args.runs.resolve(), args.records.resolve()
    runs.mkdir(parents=True, exist_ok=True)
    data = data_commands()
    for k, cmd in data.items():
        if not (runs / f"inpainting-{k}.npz").exists():
            ganbench(cmd.replace(EXCERPT, str(REPO / EXCERPT)), runs)
    data_text = " && ".join(data.values())
    for name, cmd in floor_commands().items():
        t = time.perf_counter()
        ganbench(cmd, runs)
        score = score_command(f"{name}.npz", f"inpainting-{name}.json", args.bootstrap, args.fid)
        ganbench(score, runs)
        run = {"setting": name, "task": "inpainting", "role": "floor", "checkpoint_selection": "none (no model)"}
        out = record(runs / f"inpainting-{name}.json", records, run, {"data": data_text, "floor": cmd, "score": score})
        print(f"{out.name} in {time.perf_counter() - t:.0f} s", flush=True)
    from ganbench.cache import file_digest
    from ganbench.train import checkpoint
    from ganbench.train import runs as runfiles

    for seed in (int(s) for s in args.seeds.split(",")):
        t = time.perf_counter()
        name = f"context-encoder-s{seed}"
        train = train_command(args.steps, seed)
        steps = checkpoint.list_steps(runs / name) if (runs / name).exists() else []
        if not steps or steps[-1] < args.steps:
            if (runs / name).exists():  # an interrupted run: start again, the seed makes it the same
                import shutil

                shutil.rmtree(runs / name)
            ganbench(train, runs)
        sample = f"ganbench sample {name} --input inpainting-test.npz -o {name}.outputs.npz"
        ganbench(sample, runs)
        score = score_command(f"{name}.outputs.npz", f"inpainting-{name}.json", args.bootstrap, args.fid)
        ganbench(score, runs)
        meta = runfiles.read(runs / name)
        last = checkpoint.list_steps(runs / name)[-1]
        run = {
            "baseline": "context-encoder",
            "config_hash": meta["config_hash"],
            "step": int(last),
            "training_seed": seed,
            "checkpoint_sha256": file_digest(checkpoint.path_for(runs / name, last)),
            "checkpoint_selection": "final",
            "setting": "context-encoder (pix2pix-small)",
            "task": "inpainting",
            "role": "trained",
            "set": dict(SETS),
        }
        out = record(
            runs / f"inpainting-{name}.json",
            records,
            run,
            {"data": data_text, "train": train, "sample": sample, "score": score},
        )
        print(f"{out.name} in {time.perf_counter() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
