"""Start-up time of the commands that do no work: `--version`, `--help`, `list`, an argument error.

Each is run in a fresh process (`python -m ganbench ...`) several times; the median wall time and
whether torch was imported (`-X importtime` lists it) are written as JSON and Markdown.

    python benchmarks/bench_startup.py --label after --out benchmarks/results/startup.json

Not part of `benchmarks/run.py`'s pytest files: it times processes, not functions."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "list": ["list"],
    "train --help": ["train", "--help"],
    "argument error": ["eval"],  # SAMPLES missing: click's usage error
    "unknown command": ["evaluate"],
}


def run_once(args) -> tuple:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "ganbench", *args], capture_output=True, text=True)
    dt = time.perf_counter() - t
    torch = any(re.search(r"\|\s+torch$", line.rstrip()) for line in p.stderr.splitlines())
    return dt, torch, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True, help="e.g. before / after")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "startup.json"))
    a = ap.parse_args()
    rows = {}
    for name, args in COMMANDS.items():
        runs = [run_once(args) for _ in range(a.repeat)]
        rows[name] = {
            "median_s": round(statistics.median(r[0] for r in runs), 3),
            "min_s": round(min(r[0] for r in runs), 3),
            "imports_torch": runs[0][1],
            "exit": runs[0][2],
        }
        print(f"{a.label:8} {name:16} {rows[name]}", file=sys.stderr)
    out = Path(a.out)
    data = json.loads(out.read_text()) if out.is_file() else {}
    data.pop(a.label, None)  # a label measured again goes last: the table reads left to right in time
    data[a.label] = {
        "python": sys.version.split()[0],
        "repeat": a.repeat,
        "commands": rows,
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    out.write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        "# Start-up time of commands that do no work (fresh process, median wall s)",
        "",
        "`python benchmarks/bench_startup.py --label LABEL`, 2-core CPU shared with other jobs (1-minute load "
        "average at the end of each run: "
        + ", ".join(f"{k} {v.get('load_average_1min', '?')}" for k, v in data.items())
        + "); `-X importtime` adds a little. `before`: commit 1ca1f7e; `after`: this branch.",
        "",
        "| command | " + " | ".join(f"{k} s | {k} imports torch" for k in data) + " |",
        "| --- | " + " | ".join("---: | ---" for _ in data) + " |",
    ]
    for name in COMMANDS:
        cells = []
        for k in data:
            r = data[k]["commands"].get(name, {})
            cells += [str(r.get("median_s", "")), "yes" if r.get("imports_torch") else "no"]
        lines.append(f"| `ganbench {' '.join(COMMANDS[name])}` | " + " | ".join(cells) + " |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
