"""Commands that do no work do not import torch (issue 20: 2.4-3.2 s for `--version`, `--help`, `list`
and argument errors). Each runs in a fresh interpreter; timing is measured in
benchmarks/bench_startup.py, never asserted here."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from ganbench.cli import main
sys.argv = ["ganbench", *{args!r}]
try:
    main()
except SystemExit as e:
    code = e.code
print("TORCH" if "torch" in sys.modules else "NO-TORCH", code, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args,code",
    [
        (["--version"], 0),
        (["--help"], 0),
        (["list"], 0),
        (["train", "--help"], 0),
        (["eval"], 2),
        (["evaluate"], 2),
        (["train", "--steps", "x"], 2),
    ],
)
def test_no_torch_for_commands_that_do_no_work(args, code):
    res = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True)
    last = res.stderr.strip().splitlines()[-1]
    assert last == f"NO-TORCH {code}", res.stderr[-2000:]


def test_the_probe_would_see_torch():
    """The same probe on a command that trains does import torch (the test above can fail)."""
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=["train", "toy-mlp"])], capture_output=True, text=True
    )
    assert res.stderr.strip().splitlines()[-1] == "TORCH 2"  # no --out: refused after the library loaded
