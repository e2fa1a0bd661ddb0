"""Stopping a run without losing it: SIGINT (Ctrl-C), SIGTERM (what SLURM and Kubernetes send before a
kill, at a time limit or a pre-emption) and SIGUSR1 (SLURM's `--signal=USR1@SECONDS` ahead of the time
limit, for requeueing) ask the loop to finish its step, write a checkpoint, say how to resume and exit
with 128 + the signal's number. A second Ctrl-C exits at once (the previous checkpoint stays whole:
checkpoints are written atomically).

Under torchrun the ranks agree each step (a max over ranks), so all stop after the same step."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Iterator, Optional

from ..errors import GanbenchError

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)
_received: Optional[int] = None  # the first stop signal of the active `catch`


class Stopped(GanbenchError):
    """The run stopped on a signal after writing its checkpoint."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + int(signum)


def _handler(signum, frame):
    global _received
    if _received is not None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: quit now
        return
    _received = signum
    from .. import distributed

    if distributed.is_main():
        print(
            f"\nganbench: {signal.Signals(signum).name}: finishing this step, then writing a checkpoint"
            + (" (Ctrl-C again to quit at once)" if signum == signal.SIGINT else ""),
            file=sys.stderr,
            flush=True,
        )


@contextlib.contextmanager
def catch() -> Iterator[None]:
    """Turn the stop signals into a request the loop reads with `requested` (main thread only)."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _received = None
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _received = None


def requested(world: int = 1) -> Optional[int]:
    """The signal that asked to stop, agreed by every rank; None to go on."""
    if world <= 1:
        return _received
    import torch
    import torch.distributed as dist

    t = torch.tensor([_received or 0], dtype=torch.int64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t.item()) or None


def stopped(signum: int, step: int, checkpoint_path, run_dir) -> Stopped:
    return Stopped(
        f"stopped by {signal.Signals(signum).name} after step {step}; checkpoint {checkpoint_path} "
        f"written; resume with: ganbench train --resume {run_dir}",
        signum,
    )
