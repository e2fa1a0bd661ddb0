"""Train the runs of a toy board (`leaderboards/NAME/board.toml`, its [recipe] and [[setting]]s), then
write one evaluation record and one sample file per run into `leaderboards/NAME/records/`.

    python leaderboards/toy_runs.py ring --runs /tmp/toy-runs           # train what is missing, then records
    python leaderboards/toy_runs.py ring --runs /tmp/toy-runs --records-only
    python leaderboards/toy_runs.py ring --runs /tmp/toy-runs --only 'steps-25000' --shard 0/3   # some runs, 1 of 3

Every run is `ganbench train BASELINE --data NAME --steps S --seed K --set ... --eval-every E --eval-n N`
(the exact command is stored in each record); CPU only, a minute or so a run. Progress goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("board", help="ring, grid or stacked-digits (a folder of leaderboards/)")
    ap.add_argument(
        "--runs", required=True, help="where the run folders go (kept between calls: done runs are skipped)"
    )
    ap.add_argument("--records-only", action="store_true", help="write records from finished runs, train nothing")
    ap.add_argument("--train-only", action="store_true", help="train what is missing, write no record")
    ap.add_argument("--only", default="", help="a regular expression: only the runs whose name matches it")
    ap.add_argument("--shard", default="0/1", help="I/N: train every N-th run from the I-th (N processes side by side)")
    args = ap.parse_args()
    os.environ.setdefault("GANBENCH_QUIET", "1")
    from ganbench.leaderboards import toy

    board_dir = HERE / args.board
    i, n = (int(x) for x in args.shard.split("/"))
    plan = [item for item in toy.plan(board_dir, Path(args.runs)) if re.search(args.only, item["name"])]
    for item in plan[i::n] if not args.records_only else plan:
        if not args.records_only and not toy.finished(item):
            t = time.perf_counter()
            toy.train_run(item)
            print(f"trained {item['run_dir'].name} in {time.perf_counter() - t:.0f} s", flush=True)
        if toy.finished(item) and not args.train_only:
            path = toy.write_record(item, board_dir / "records")
            print(f"record {path.name}", flush=True)


if __name__ == "__main__":
    main()
