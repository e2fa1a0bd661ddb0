"""When a run checkpoints: every `checkpoint_every` steps, at the last step, and whenever
`checkpoint_minutes` of wall time have passed since the last checkpoint (on a CPU, 1000 steps can
take half an hour). Saving reads the weights and draws nothing, so when it happens changes no number.

A checkpoint written for the clock alone is replaced by the next one, so a long run keeps its
step checkpoints plus at most one clock checkpoint."""

from __future__ import annotations

import time
from typing import Callable, Optional

from . import checkpoint


class Saver:
    def __init__(
        self, run_dir, every: int, minutes: float, *, world: int = 1, clock: Callable[[], float] = time.monotonic
    ):
        self.run_dir, self.every, self.seconds = run_dir, int(every), 60.0 * float(minutes)
        self.world, self.clock = world, clock
        self.since = clock()
        self.clock_only: Optional[int] = None  # the step of the last checkpoint written for the clock alone

    def scheduled(self, step: int, last: int) -> bool:
        """A checkpoint the step count asks for (not the clock, not a signal): the same in every run."""
        return step % self.every == 0 or step == last

    def due(self, step: int, last: int) -> bool:
        if self.scheduled(step, last):
            return True
        if self.seconds <= 0:
            return False
        late = self.clock() - self.since >= self.seconds
        if self.world > 1:  # rank 0's clock decides, or the ranks would disagree on the barrier
            from .. import distributed

            late = distributed.broadcast_object(late)
        return late

    def saved(self, step: int, last: int) -> None:
        """Call after the checkpoint of `step` is written: drops the previous clock-only checkpoint."""
        if self.clock_only is not None and self.clock_only != step:
            checkpoint.path_for(self.run_dir, self.clock_only).unlink(missing_ok=True)
        self.clock_only = None if self.scheduled(step, last) else step
        self.since = self.clock()
