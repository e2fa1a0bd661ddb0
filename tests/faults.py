"""Fault injection for the resilience tests: make the k-th write of a run fail (ENOSPC or EIO, after
half of it reached the disk), or signal the process at the k-th training step.

Writes are counted through ganbench.cache.WRITE_HOOKS, which every atomic write (checkpoints, run.json,
records, board files, feature-cache entries and chunks, curves.png) and every appended metrics line
passes. As a script it runs `ganbench` with a signal at a step (for SIGKILL, which ends the process,
and for torchrun workers):

    python tests/faults.py SIGNAL STEP [RANK] -- ganbench arguments...
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from ganbench import cache

TRIED: Counter = Counter()  # fault points tried, by kind: conftest.py prints the count after the run


class WriteFault:
    """Count writes; make the `at`-th one fail with `code` (no fault when `at` is None)."""

    def __init__(self, at=None, code: int = errno.ENOSPC):
        self.at, self.code, self.count, self.written = at, code, 0, []

    def __call__(self, dest: Path, tmp) -> None:
        self.count += 1
        self.written.append(Path(dest).name)
        if self.count != self.at:
            return
        if tmp is None:  # an appended line: half of it reaches the file first
            with open(dest, "ab") as f:
                f.write(b'{"kind": "tr')
        elif Path(tmp).exists():  # a file: cut to half, as a full disk leaves it
            with open(tmp, "r+b") as f:
                f.truncate(os.path.getsize(tmp) // 2)
        raise OSError(self.code, os.strerror(self.code))

    def __enter__(self) -> WriteFault:
        cache.WRITE_HOOKS.append(self)
        return self

    def __exit__(self, *exc) -> None:
        cache.WRITE_HOOKS.remove(self)


class StepSignal:
    """Send `sig` to this process right after training step `at` (counted from this process's start)."""

    def __init__(self, at: int, sig: int = signal.SIGTERM):
        self.at, self.sig, self.count = at, sig, 0

    def __enter__(self) -> StepSignal:
        from ganbench.train.loop import Trainer

        self.real = real = Trainer.train_step
        fault = self

        def train_step(trainer):
            stats = real(trainer)
            fault.count += 1
            if fault.count == fault.at:
                os.kill(os.getpid(), fault.sig)
            return stats

        Trainer.train_step = train_step
        return self

    def __exit__(self, *exc) -> None:
        from ganbench.train.loop import Trainer

        Trainer.train_step = self.real


class TinyExtractor:
    """A deterministic stand-in for Inception (a fixed projection of 32x32 images: 8 "pool" and 4 "logits"
    numbers an image), so cache and eval faults cost milliseconds; `fail_at` raises on that batch, as a
    kill would stop the extraction there."""

    name = "tiny-test"
    dims = {"pool": 8, "logits": 4}
    device = "cpu"

    def __init__(self, fail_at=None):
        import types

        import numpy as np

        self.weights = types.SimpleNamespace(
            official=True, sha256="0" * 64, path=None, describe=lambda: {"sha256": "0" * 64}
        )
        self.proj = np.random.default_rng(0).standard_normal((32 * 32 * 3, 12)).astype(np.float32) / 100
        self.calls, self.fail_at = 0, fail_at

    def describe(self) -> dict:
        return {
            "extractor": self.name,
            "weights_sha256": "0" * 64,
            "weights_official": True,
            "resize": "none",
            "dtype": "float32",
        }

    def __call__(self, images):
        import numpy as np

        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt
        x = np.asarray(images, np.float32).reshape(len(images), -1) @ self.proj
        return x[:, :8], x[:, 8:]


def main(argv) -> None:
    sig, at = signal.Signals[argv[0]], int(argv[1])
    rank = argv[2] if argv[2] != "--" else None
    args = argv[argv.index("--") + 1 :]
    first_try = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    if first_try and (rank is None or os.environ.get("RANK", "0") == rank):
        StepSignal(at, sig).__enter__()
    from ganbench.cli import cli

    cli(args=args, prog_name="ganbench")


if __name__ == "__main__":
    main(sys.argv[1:])
