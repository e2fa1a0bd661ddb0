"""Random draws for one augmentation call, all from the generator the caller passes (ganbench draws every
number of training from `streams`, keyed by step), made for the whole global batch in the reference's
order and shapes, so that a seed gives the reference's numbers and a rank's slice gives the numbers one
process would give those rows."""

from __future__ import annotations

from typing import Optional

import torch


class Draws:
    """Draws for `total` images from `generator` (on its device) and keeps rows start:start+n, so a rank
    augmenting its slice of a global batch gets the numbers a single process would give those rows."""

    def __init__(
        self, generator: torch.Generator, n: int, start: int, total: Optional[int], device, whole: bool = False
    ):
        self.g, self.n, self.start, self.total, self.device = generator, n, start, total or n, device
        self.whole = whole  # return all `total` rows on the generator's device; the caller slices
        if self.start < 0 or self.start + n > self.total:
            raise ValueError(f"rows {start}:{start + n} are not inside a batch of {self.total}")

    def _keep(self, t: torch.Tensor) -> torch.Tensor:
        return t if self.whole else self.rows(t).to(self.device)

    def rows(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.start : self.start + self.n]

    def rand(self, *shape, dtype=torch.float32) -> torch.Tensor:
        return self._keep(torch.rand(self.total, *shape, generator=self.g, dtype=dtype))

    def randn(self, *shape) -> torch.Tensor:
        return self._keep(torch.randn(self.total, *shape, generator=self.g))

    def randint(self, low: int, high: int, *shape) -> torch.Tensor:
        return self._keep(torch.randint(low, high, (self.total, *shape), generator=self.g))
