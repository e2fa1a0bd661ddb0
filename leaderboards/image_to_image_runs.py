"""Train and score the runs of the image-to-image board (`leaderboards/image-to-image/board.toml`: its
[recipe], [task.NAME]s and [[setting]]s), writing one evaluation record per row and seed into
`leaderboards/image-to-image/records/`.

    python leaderboards/image_to_image_runs.py --runs /tmp/i2i-runs               # everything, in order
    python leaderboards/image_to_image_runs.py --runs /tmp/i2i-runs --train-only  # then --records-only

Every step is a `ganbench` command run in the runs folder (file names relative to it), and the record
stores the commands that made it:
  data:     ganbench data colorize --source EXCERPT --key train_images|test_images -o colorize-train|test.npz
  train:    ganbench train BASELINE --data TASK-train.npz --steps S --seed K --checkpoint-every E --out NAME
  step 0:   python leaderboards/image_to_image_runs.py --step0 NAME  (the untrained G's checkpoint, below)
  outputs:  ganbench sample NAME --input TASK-test.npz --checkpoint last|0 -o NAME.outputs.npz
  score:    ganbench eval NAME.outputs.npz --target TASK-test.npz --target-key targets --lpips-weights random
            --bootstrap B --json NAME.json
A floor scores the test inputs themselves as the outputs (`--key inputs`), or a file the data command wrote
(`file`: the bicubic upsampling of super-resolution). A task may name its files (`train_file`, `test_file`:
default TASK-train.npz, TASK-test.npz; `test` may be absent where the train command writes both) and add
scoring options (`score_options`, e.g. SR's Y channel and border crop). A setting that `rescores` another
(its label) trains nothing: it scores that setting's last checkpoints with its own `sample_options` (e.g.
--test-norm running). The untrained generator is step 0
of the same run: `models.build(config, seed)`, the very networks `ganbench train` starts from (initial
weights a function of the seed alone), saved as the run's step-0 checkpoint. CPU only; progress on stdout.
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BOARD = HERE / "image-to-image"
RECORDS = BOARD / "records"  # --records moves them (a smoke test with --steps)


def read_board() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib.loads((BOARD / "board.toml").read_text())


def slug(text: str) -> str:
    import re

    return re.sub("-+", "-", "".join(c if c.isalnum() else "-" for c in text.lower())).strip("-")


def plan(board: dict) -> list:
    """One item per (setting, seed), in board order."""
    items = []
    for s in board["setting"]:
        if s["task"] not in board["task"]:
            raise SystemExit(f"setting {s['label']!r} names task {s['task']!r}, which board.toml has no [task.] for")
        for seed in board["recipe"]["seeds"]:
            name = f"{s['task']}-{slug(s['label'])}-s{seed}"
            # a re-scoring setting's run is the scored setting's (`trains`: the setting that trains it)
            src = next(x for x in board["setting"] if x["label"] == s["rescores"]) if s.get("rescores") else s
            run = f"{s['task']}-{slug(src['label'])}-s{seed}"
            items.append({"setting": s, "seed": int(seed), "name": name, "run": run, "trains": src})
    return items


def ganbench(cmd: str, runs: Path, log: Path) -> None:
    """Run one stored `ganbench ...` command in the runs folder (its stderr, progress bars, to `log`)."""
    args = shlex.split(cmd)
    assert args[0] == "ganbench"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    with open(log, "ab") as err:
        r = subprocess.run([sys.executable, "-m", "ganbench", *args[1:]], cwd=runs, env=env, stdout=err, stderr=err)
    if r.returncode:
        raise SystemExit(f"failed ({r.returncode}): {cmd} (see {log})")


def data_commands(board: dict, task: str) -> dict:
    t = board["task"][task]
    excerpt = board["recipe"]["excerpt"]
    return {k: t[k].format(excerpt=excerpt) for k in ("train", "test") if k in t}


def files(board: dict, task: str) -> tuple:
    """(training pairs, scored test pairs) of a task, file names in the runs folder."""
    t = board["task"][task]
    return t.get("train_file", f"{task}-train.npz"), t.get("test_file", f"{task}-test.npz")


def data_text(board: dict, task: str, which=("train", "test")) -> str:
    """The commands that made the task's files, as one line for a record."""
    made = data_commands(board, task)
    cmds = [made[k] for k in which if k in made]
    if "test" in which and board["task"][task].get("drop_identical"):
        cmds.append(drop_identical_command(task))
    return " && ".join(cmds)


def make_data(board: dict, task: str, runs: Path) -> None:
    for cmd in data_commands(board, task).values():
        out = Path(runs) / shlex.split(cmd)[-1]
        if not out.exists():  # the excerpt path in the command is relative to the repository root
            ganbench(
                cmd.replace(board["recipe"]["excerpt"], str(REPO / board["recipe"]["excerpt"])),
                runs,
                runs / "commands.log",
            )
    if board["task"][task].get("drop_identical") and not (runs / f"{task}-test.npz").exists():
        drop_identical(runs / f"{task}-test-all.npz", runs / f"{task}-test.npz")


def drop_identical_command(task: str) -> str:
    return f"python leaderboards/image_to_image_runs.py --drop-identical {task}-test-all.npz {task}-test.npz"


def drop_identical(src: Path, dst: Path) -> int:
    """The pairs whose target differs from its input: a colour image's luma equals the image only when the
    image is grey already (R = G = B), where there is nothing to colourise and the input's PSNR is inf."""
    import numpy as np

    from ganbench.toydata.paired import save_pairs

    with np.load(src, allow_pickle=False) as z:
        inputs, targets = z["inputs"], z["targets"]
    keep = ~(inputs == targets).reshape(len(inputs), -1).all(1)
    save_pairs(dst, inputs[keep], targets[keep])
    print(
        f"{dst.name}: {int(keep.sum())} of {len(keep)} pairs of {src.name} (dropped {int((~keep).sum())} whose "
        f"target equals its input)",
        flush=True,
    )
    return int((~keep).sum())


def source_name(item: dict) -> str:
    """A setting that continues another (`continues`: its label): that setting's run of the same seed."""
    s = item["setting"]
    return f"{s['task']}-{slug(s['continues'])}-s{item['seed']}"


def train_command(item: dict, board: dict) -> str:
    s, r = item["setting"], board["recipe"]
    if s.get("rescores"):  # the scored setting's own command
        return train_command({**item, "setting": item["trains"], "name": item["run"]}, board)
    if s.get("continues"):  # bit-exact resume: the same as training `steps` from scratch (constant lr)
        return (
            f"cp -r {source_name(item)} {item['name']} && ganbench train --resume {item['name']} --steps {s['steps']}"
        )
    sets = "".join(f" --set {k}={v}" for k, v in sorted(s.get("set", {}).items()))
    return (
        f"ganbench train {s['baseline']} --data {files(board, s['task'])[0]} --steps {s['steps']} --seed {item['seed']}"
        f"{sets} --checkpoint-every {r['log_every']} --out {item['name']}"
    )


def step0_command(item: dict) -> str:
    return f"python leaderboards/image_to_image_runs.py --step0 {item['name']}"


def write_step0(run_dir: Path) -> Path:
    """The untrained generator as the run's step-0 checkpoint: the networks `ganbench train` built before its
    first step (models.build is what the trainer calls; initial weights depend on the seed alone)."""
    from ganbench.train import checkpoint, models, runs

    run = runs.read(run_dir)
    nets = models.build(run["config"], run["seed"], run["data"].get("num_classes", 0), "cpu")
    meta = {
        "config": run["config"],
        "config_hash": run["config_hash"],
        "baseline": run["baseline"],
        "seed": int(run["seed"]),
        "untrained": True,
    }
    return checkpoint.save(run_dir, 0, nets.modules(), nets.optimizers(), meta)


def sample_command(name: str, task: str, checkpoint: str, board: dict, run: str = "", options: str = "") -> str:
    """`run`'s outputs (default: the run `name`) for the task's test inputs, written to NAME.outputs.npz."""
    test = files(board, task)[1]
    extra = f" {options}" if options else ""
    return f"ganbench sample {run or name} --input {test} --checkpoint {checkpoint}{extra} -o {name}.outputs.npz"


def score_command(outputs: str, task: str, record: str, board: dict, bootstrap=None, key: str = "") -> str:
    r = board["recipe"]
    b = r["bootstrap"] if bootstrap is None else bootstrap
    extra = board["task"][task].get("score_options", "")
    return (
        f"ganbench eval {outputs}{key} --target {files(board, task)[1]} --target-key targets --lpips-weights "
        f"{r['lpips_weights']}{' ' + extra if extra else ''} --bootstrap {b} --json {record}"
    )


def finished(item: dict, runs: Path) -> bool:
    from ganbench.train.checkpoint import list_steps

    steps = list_steps(runs / item["run"])
    return bool(steps) and steps[-1] >= item["trains"]["steps"]


def train(item: dict, board: dict, runs: Path) -> None:
    import shutil

    run_dir = runs / item["name"]
    if run_dir.exists():  # an interrupted run: start it again, the seed makes it the same
        shutil.rmtree(run_dir)
    if item["setting"].get("continues"):
        from ganbench.train.checkpoint import list_steps

        src = runs / source_name(item)
        last = f"step-{list_steps(src)[-1]:08d}.safetensors"  # the copy needs only the last checkpoint
        shutil.copytree(
            src,
            run_dir,
            ignore=lambda d, names: [
                n for n in names if n.startswith("step-") and n.endswith(".safetensors") and n != last
            ],
        )
        ganbench(train_command(item, board).split(" && ", 1)[1], runs, runs / f"{item['name']}.log")
        return
    ganbench(train_command(item, board), runs, runs / f"{item['name']}.log")
    write_step0(run_dir)


def _record(path: Path, run: dict, commands: dict, log=None) -> Path:
    """The record `ganbench eval` wrote, with the row it belongs to (its run block) and its commands."""
    from ganbench.cache import atomic_path

    rec = json.loads(path.read_text())
    rec["run"] = run
    rec["provenance"]["commands"] = commands
    for side in ("samples", "reference"):  # file names relative to the runs folder, as in the commands
        if rec["provenance"][side].get("path"):
            rec["provenance"][side]["path"] = Path(rec["provenance"][side]["path"]).name
    if log is not None:
        rec["provenance"]["training_log"] = log
    out = RECORDS / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(json.dumps(rec, indent=2) + "\n")
    return out


def score_floors(board: dict, task: str, runs: Path) -> list:
    out = []
    for f in board["task"][task]["floors"]:
        name = f"{task}-{slug(f['label'])}"
        if (RECORDS / f"{name}.json").exists():  # scored already (a second pass of the runner)
            continue
        if f.get("outputs") == "inputs":
            cmd = score_command(files(board, task)[1], task, f"{name}.json", board, key=" --key inputs")
        elif f.get("file"):
            cmd = score_command(f["file"], task, f"{name}.json", board)
        else:
            raise SystemExit(f"floor {f['label']!r}: give outputs = 'inputs' or file = 'NAME.npz'")
        ganbench(cmd, runs, runs / "commands.log")
        run = {"setting": f["label"], "task": task, "role": "floor", "checkpoint_selection": "none (no model)"}
        which = ("test",) if "test" in board["task"][task] else ("train",)  # the command that wrote the file
        out.append(_record(runs / f"{name}.json", run, {"data": data_text(board, task, which), "score": cmd}))
    return out


def _scores(rec_path: Path) -> dict:
    m = json.loads(rec_path.read_text())["metrics"]
    return {k: m[k]["value"] for k in ("psnr", "ssim", "lpips") if k in m}


def score_run(item: dict, board: dict, runs: Path) -> list:
    """The untrained row (step 0) and the trained row (last checkpoint) of one seed; the curve over the
    checkpoints (scored without bootstrap) goes into the trained record's training_log."""
    from ganbench.cache import file_digest
    from ganbench.train import checkpoint
    from ganbench.train import runs as runfiles

    s, name, task = item["setting"], item["name"], item["setting"]["task"]
    run_dir = runs / item["run"]
    meta = runfiles.read(run_dir)
    steps = checkpoint.list_steps(run_dir)
    log = []
    rescore = bool(s.get("rescores"))
    for step in [x for x in steps[:-1] if x != 0 and not rescore]:  # the curve between step 0 and the last
        tmp = f"{name}.step{step}"
        ganbench(
            sample_command(name, task, str(step), board).replace(f"-o {name}.outputs.npz", f"-o {tmp}.npz"),
            runs,
            runs / "commands.log",
        )
        ganbench(score_command(f"{tmp}.npz", task, f"{tmp}.json", board, bootstrap=0), runs, runs / "commands.log")
        log.append({"step": step, **_scores(runs / f"{tmp}.json")})
    out = []
    which_ones = (("0", f"{s['label']}, untrained (step 0)", "untrained"), ("last", s["label"], "trained"))
    for which, label, role in which_ones[0 if 0 in steps and not rescore else 1 :]:  # continued: no step 0
        rec_name = f"{name}{'-step0' if which == '0' else ''}"
        sample = sample_command(rec_name, task, which, board, run=item["run"], options=s.get("sample_options", ""))
        score = score_command(f"{rec_name}.outputs.npz", task, f"{rec_name}.json", board)
        ganbench(sample, runs, runs / "commands.log")
        ganbench(score, runs, runs / "commands.log")
        step = 0 if which == "0" else steps[-1]
        run = {
            "baseline": meta["baseline"],
            "config_hash": meta["config_hash"],
            "step": int(step),
            "training_seed": int(meta["seed"]),
            "checkpoint_sha256": file_digest(checkpoint.path_for(run_dir, step)),
            "checkpoint_selection": "step 0 (untrained)" if which == "0" else "final",
            "setting": label,
            "task": task,
            "role": role,
            "set": {k: str(v) for k, v in sorted(s.get("set", {}).items())},
        }
        cmds = {"data": data_text(board, task), "train": train_command(item, board)}
        if which == "0":
            cmds["step0"] = step0_command(item)
        cmds.update(sample=sample, score=score)
        log.append({"step": int(step), **_scores(runs / f"{rec_name}.json")})
        out.append(
            _record(
                runs / f"{rec_name}.json", run, cmds, sorted(log, key=lambda p: p["step"]) if which == "last" else None
            )
        )
    return out


def main():
    global RECORDS
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=Path, help="where the data, run folders and outputs go (done runs are skipped)")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--records-only", action="store_true")
    ap.add_argument("--steps", type=int, help="a smoke test: every setting's steps (with --records elsewhere)")
    ap.add_argument(
        "--task",
        action="append",
        help="only this task's floors and settings (repeatable): two runners side by side on two tasks",
    )
    ap.add_argument("--setting", action="append", help="only the setting of this label (repeatable)")
    ap.add_argument("--seed", action="append", type=int, help="only this training seed (repeatable)")
    ap.add_argument("--records", type=Path, help=f"where the records go [default: {RECORDS}]")
    ap.add_argument(
        "--drop-identical",
        nargs=2,
        type=Path,
        metavar=("SRC", "DST"),
        help="write DST: SRC's pairs whose target differs from the input, and exit",
    )
    ap.add_argument("--step0", type=Path, metavar="RUN", help="write RUN's step-0 (untrained) checkpoint and exit")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    if args.drop_identical:
        drop_identical(*args.drop_identical)
        return
    if args.step0:
        print(write_step0(args.step0))
        return
    if args.runs is None:
        ap.error("--runs DIR is required")
    runs = args.runs.resolve()
    runs.mkdir(parents=True, exist_ok=True)
    board = read_board()
    if args.steps:
        if not args.records:
            ap.error("--steps is a smoke test: pass --records DIR too, away from the board's records")
        board["recipe"]["log_every"] = max(1, args.steps // 2)
        for s in board["setting"]:
            s["steps"] = args.steps
    if args.records:
        RECORDS = args.records.resolve()
    items = [
        i
        for i in plan(board)
        if (not args.task or i["setting"]["task"] in args.task)
        and (not args.setting or i["setting"]["label"] in args.setting)
        and (not args.seed or i["seed"] in args.seed)
    ]
    for task in dict.fromkeys(i["setting"]["task"] for i in items):
        make_data(board, task, runs)
        if not args.train_only:
            for p in score_floors(board, task, runs):
                print(f"record {p.name}", flush=True)
    for item in items:
        if not args.records_only and not item["setting"].get("rescores") and not finished(item, runs):
            t = time.perf_counter()
            train(item, board, runs)
            print(f"trained {item['name']} in {time.perf_counter() - t:.0f} s", flush=True)
        if finished(item, runs) and not args.train_only and not (RECORDS / f"{item['name']}.json").exists():
            t = time.perf_counter()
            for p in score_run(item, board, runs):
                print(f"record {p.name} ({time.perf_counter() - t:.0f} s)", flush=True)
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU time of the ganbench commands: {ru.ru_utime + ru.ru_stime:.0f} s", flush=True)


if __name__ == "__main__":
    main()
