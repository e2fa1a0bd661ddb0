"""Run the studies of the `pathologies` board and write one record per study x setting x seed into
leaderboards/pathologies/records/ (ganbench.leaderboards.pathologies does the measuring).

    OMP_NUM_THREADS=1 nohup python leaderboards/pathologies_runs.py all --seeds 0 1 2 > /work/patho-runs.log &
    python leaderboards/pathologies_runs.py vanishing --seeds 0          # one study, one seed
    ganbench leaderboard build leaderboards/pathologies/records --out leaderboards/pathologies

A record already written is skipped, so the runner can be stopped and started again. CPU only; on one
thread: vanishing ~4 min a seed (3 settings), clipping ~1-2 min a seed (4 settings).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _name(rec: dict) -> str:
    return f"{rec['study']}_{re.sub(r'[^a-z0-9.]+', '-', rec['setting'].lower()).strip('-')}_seed{rec['seed']}.json"


def _write(rec: dict, out: Path) -> Path:
    from ganbench.cache import atomic_path

    path = out / _name(rec)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("study", choices=("vanishing", "clipping", "all"))
    ap.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default=str(HERE / "pathologies" / "records"))
    ap.add_argument("--d-steps", type=int, default=1000, help="vanishing: D steps against the fixed G")
    ap.add_argument("--every", type=int, default=25, help="vanishing: measure every this many D steps")
    ap.add_argument("--g-steps", type=int, default=30, help="clipping: generator steps (5 critic steps each)")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    from ganbench.leaderboards import pathologies as P

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def say(msg):
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    for seed in args.seeds:
        if args.study in ("vanishing", "all"):
            if all((out / f"vanishing_{e}-epoch{'s' if e > 1 else ''}_seed{seed}.json").is_file() for e in (1, 10, 25)):
                say(f"vanishing seed {seed}: records exist")
            else:
                t = time.perf_counter()
                for rec in P.vanishing(
                    seed,
                    d_steps=args.d_steps,
                    every=args.every,
                    progress=lambda m: say(m) if m.endswith("0/" + str(args.d_steps)) else None,
                ):
                    say(f"wrote {_write(rec, out).name}")
                say(f"vanishing seed {seed}: {time.perf_counter() - t:.0f} s")
        if args.study in ("clipping", "all"):
            for setting in P.CLIP_SETTINGS:
                probe = {"study": "clipping", "setting": setting, "seed": seed}
                if (out / _name(probe)).is_file():
                    continue
                t = time.perf_counter()
                rec = P.clipping(seed, setting, steps=args.g_steps)
                say(f"wrote {_write(rec, out).name} in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
