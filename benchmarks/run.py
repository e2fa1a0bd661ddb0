"""Run every benchmark and write the results: `python benchmarks/run.py [--quick] [--out FILE]`.

Wraps pytest-benchmark: pytest collects benchmarks/bench_*.py, each benchmark asserts that the
implementations agree, and the session writes benchmarks/results/<device>.json, a markdown
table beside it, and pytest-benchmark's own JSON (…-pytest-benchmark.json). Extra arguments go
to pytest (e.g. `-k extract`). Takes ~15 minutes on a 2-core CPU; `--quick` is a smoke run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    import pytest

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run; not the reported figures)")
    ap.add_argument("--out", default=None, help="results JSON (default: benchmarks/results/<device>.json)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    args, rest = ap.parse_known_args(argv)
    out = Path(args.out) if args.out else None
    if out is None:
        sys.path.insert(0, str(HERE))
        import torch
        from report import machine_info

        dev = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        slug = machine_info(dev)["device_slug"] + ("-quick" if args.quick else "")
        out = HERE / "results" / f"{slug}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_name(out.stem + "-pytest-benchmark.json")
    pytest_args = [
        str(HERE),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        "--benchmark-sort=name",
        "--benchmark-columns=min,mean,rounds",
        f"--benchmark-json={raw}",
        f"--bench-out={out}",
    ]
    if args.quick:
        pytest_args.append("--bench-quick")
    if args.device:
        pytest_args.append(f"--bench-device={args.device}")
    return pytest.main(pytest_args + rest)


if __name__ == "__main__":
    sys.exit(main())
