"""Augmentation of everything the discriminator sees, real and fake, as a training option: `augment` is
"none", "diffaugment" (Zhao et al. 2020) or "ada" (Karras et al. 2020). `build(cfg)` gives an object with
`aug(x, generator) -> x` (NCHW float, differentiable in x), `p`, `observe(real_logits)`,
`step(batch_size)`, `state()` and `restore(state)`; see ada.py for when a training step calls each."""

from __future__ import annotations

from typing import Mapping, Optional

import torch

from ...errors import GanbenchError
from .ada import Ada
from .diffaugment import DEFAULT_POLICY, DiffAugment

AUGMENTS = ("none", "diffaugment", "ada")


class NoAugment:
    name = "none"
    p = None

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator, *, start: int = 0, total: Optional[int] = None
    ) -> torch.Tensor:
        return x

    def observe(self, real_logits: torch.Tensor) -> None:
        pass

    def step(self, batch_size: int) -> None:
        pass

    def state(self) -> dict:
        return {}

    def restore(self, state: dict) -> None:
        pass


def build(cfg: Mapping):
    """From a training config: `augment`, and `diffaugment_policy` or `ada_pipe`, `ada_target`,
    `ada_interval`, `ada_kimg`, `ada_p` (the initial p), each with the reference's default if absent."""
    name = cfg.get("augment", "none") or "none"
    if name == "none":
        return NoAugment()
    if name == "diffaugment":
        return DiffAugment(cfg.get("diffaugment_policy", DEFAULT_POLICY))
    if name == "ada":
        return Ada(
            pipe=cfg.get("ada_pipe", "bgc"),
            target=cfg.get("ada_target", 0.6),
            interval=cfg.get("ada_interval", 4),
            kimg=cfg.get("ada_kimg", 500),
            p=cfg.get("ada_p", 0.0),
        )
    raise GanbenchError(f"augment={name!r} is not an augmentation; use one of {' | '.join(AUGMENTS)}")


class Hooked:
    """An augmentation as the training loop calls it (context.StepContext.augment): its draws come from the
    step's `Draws` (global batch, this rank's slice), p moves after each step (`end_step`), and its state
    goes into the checkpoint, so a resumed or distributed run sees the same numbers as one process."""

    def __init__(self, aug, batch_size: int):
        self.aug, self.batch_size = aug, int(batch_size)

    @property
    def p(self):
        return self.aug.p

    def __call__(self, x: torch.Tensor, draws) -> torch.Tensor:
        return self.aug(x, draws.generator, start=draws.rank * len(x), total=len(x) * draws.world)

    def observe(self, real_logits: torch.Tensor) -> None:
        self.aug.observe(real_logits)

    def end_step(self, step: int) -> None:
        self.aug.step(self.batch_size)

    def state(self) -> dict:
        return self.aug.state()

    def restore(self, state: dict) -> None:
        self.aug.restore(state)


def make(cfg: Mapping, seed: int) -> Hooked:
    """The training loop's augmentation for `cfg` (train/session.py); `seed` is unused: draws are keyed by
    the step through the context's streams."""
    return Hooked(build(cfg), cfg["batch_size"])
