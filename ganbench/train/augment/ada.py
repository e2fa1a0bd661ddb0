"""Adaptive discriminator augmentation (Karras et al. 2020): the pipeline of ada_pipe.py applied with a
probability p that a controller moves so the overfitting heuristic r_t = E[sign(D(real))] stays at a
target (0.6), as the reference's training loop does (NVlabs/stylegan2-ada-pytorch, training_loop.py):
every `interval` training steps, p += sign(r_t - target) * batch * interval / (kimg * 1000), floored at 0.

The training objective calls, per step: `aug(x, generator)` on every image batch D sees (real and fake,
in D's and G's phases); `observe(real_logits)` on every D output for real images (the reference counts
the R1 phase's too); and `step(batch_size)` once after the step's updates. `state()` goes into the
checkpoint and `restore()` brings it back, so a resumed run continues with the same p and the same
partly filled interval."""

from __future__ import annotations

from typing import Optional

import torch

from ...errors import GanbenchError
from .ada_pipe import PIPES, Pipe
from .draws import Draws


class Ada:
    name = "ada"

    def __init__(self, pipe: str = "bgc", target: float = 0.6, interval: int = 4, kimg: float = 500, p: float = 0.0):
        if pipe not in PIPES:
            raise GanbenchError(
                f"ada pipe {pipe!r} is not available; use one of {', '.join(PIPES)} (the paper's CIFAR-10 runs use bgc)"
            )
        if not 0 <= float(target) <= 1 or int(interval) < 1 or float(kimg) <= 0 or float(p) < 0:
            raise GanbenchError(
                f"ada settings target={target} interval={interval} kimg={kimg} p={p}: need "
                "0 <= target <= 1, interval >= 1, kimg > 0, p >= 0"
            )
        self.pipe_name, self.pipe = pipe, Pipe(PIPES[pipe])
        self.target, self.interval, self.kimg = float(target), int(interval), float(kimg)
        self.p = self._f32(p)
        self._signs = 0.0  # sum of sign(D(real)) since the last adjustment
        self._count = 0  # how many logits that sum holds
        self._steps = 0  # training steps since the last adjustment

    @staticmethod
    def _f32(v) -> float:
        # p is a float32 buffer in the reference; keeping it float32 keeps its trajectory bit for bit
        return float(torch.tensor(float(v), dtype=torch.float32))

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator, *, start: int = 0, total: Optional[int] = None
    ) -> torch.Tensor:
        """Augment rows start:start+len(x) of a batch of `total` (default: x is the whole batch)."""
        return self.pipe(x, self.p, Draws(generator, x.shape[0], start, total, x.device, whole=True))

    def observe(self, real_logits: torch.Tensor) -> None:
        signs = torch.sign(real_logits.detach().float())
        self._signs += float(signs.double().sum())
        self._count += signs.numel()

    @property
    def rt(self) -> Optional[float]:
        """The heuristic over the interval so far (None before any observation)."""
        return self._signs / self._count if self._count else None

    def step(self, batch_size: int) -> None:
        self._steps += 1
        if self._steps % self.interval:
            return
        rt = self.rt
        if rt is not None:  # no observation in the interval: nothing to adjust on (the reference would get NaN)
            sign = (rt > self.target) - (rt < self.target)
            adjust = sign * (int(batch_size) * self.interval) / (self.kimg * 1000)
            p = torch.tensor(self.p, dtype=torch.float32) + adjust
            self.p = float(p.clamp(min=0))
        self._signs, self._count, self._steps = 0.0, 0, 0

    def state(self) -> dict:
        return {"p": self.p, "signs": self._signs, "count": self._count, "steps": self._steps}

    def restore(self, state: dict) -> None:
        try:
            self.p = self._f32(state["p"])
            self._signs, self._count, self._steps = float(state["signs"]), int(state["count"]), int(state["steps"])
        except (KeyError, TypeError, ValueError) as e:
            raise GanbenchError(
                f"the checkpoint's ADA state {state!r} is incomplete ({e}); "
                "resume from a checkpoint written by a run with augment=ada"
            ) from None
