"""StepContext: what a training objective draws and runs through, the same for every family.

Every random draw is a pure function of (seed, purpose, counters) from `streams`, drawn for the global
batch and cut to this rank's slice, so one process and N processes see the same numbers and a resumed
run needs no RNG state. The context also carries autocast, the (possibly compiled) networks, and the
augmentation hook every image shown to D passes through (`augment`, identity by default)."""

from __future__ import annotations

import contextlib
from typing import Optional, overload

import torch

from . import streams


class Draws:
    """Random draws of one augmentation call, for the global batch, cut to this rank's slice: an
    augmentation's per-sample parameters are the same numbers in one process and in N."""

    def __init__(self, generator: torch.Generator, world: int, rank: int, device: torch.device):
        self.generator, self.world, self.rank, self.device = generator, world, rank, device

    def _cut(self, t: torch.Tensor) -> torch.Tensor:
        per = t.shape[0] // self.world
        return t[self.rank * per : (self.rank + 1) * per].to(self.device)

    def rand(self, n: int, *shape: int) -> torch.Tensor:
        """U[0, 1) of shape (n, *shape), `n` this rank's batch."""
        return self._cut(torch.rand((n * self.world,) + shape, generator=self.generator))

    def randn(self, n: int, *shape: int) -> torch.Tensor:
        return self._cut(torch.randn((n * self.world,) + shape, generator=self.generator))

    def randint(self, high: int, n: int, *shape: int) -> torch.Tensor:
        return self._cut(torch.randint(high, (n * self.world,) + shape, generator=self.generator))


class StepContext:
    def __init__(
        self,
        cfg: dict,
        data,
        seed: int,
        nets,
        *,
        device: torch.device,
        world: int = 1,
        rank: int = 0,
        amp: Optional[str] = None,
        channels_last: bool = False,
        compiled: Optional[dict] = None,
        augment=None,
    ):
        self.cfg, self.data, self.seed, self.nets = cfg, data, int(seed), nets
        self.device, self.world, self.rank, self.amp = device, int(world), int(rank), amp
        self.channels_last = channels_last
        self.f = compiled or nets.modules()  # the networks as run (torch.compile'd when asked)
        self.augmenter = augment  # None: identity
        self.step = 0
        self.phase = ("", 0)  # (name, index of its run in this step): keys augmentation draws
        self._calls = 0

    # -- this rank's slice, precision ----------------------------------------------------------------
    @overload
    def local(self, t: torch.Tensor) -> torch.Tensor: ...
    @overload
    def local(self, t: None) -> None: ...
    def local(self, t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        if t is None:
            return None
        per = t.shape[0] // self.world
        t = t[self.rank * per : (self.rank + 1) * per].to(self.device)
        if self.channels_last and t.dim() == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        return t

    def autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    # -- seeded draws ----------------------------------------------------------------------------------
    def z(self, n: int, purpose: str, *counters: int, dim: Optional[int] = None) -> torch.Tensor:
        g = streams.generator(self.seed, purpose, *counters)
        return self.local(torch.randn(n, self.cfg["z_dim"] if dim is None else dim, generator=g))

    def rand(self, shape, purpose: str, *counters: int, normal: bool = False) -> torch.Tensor:
        g = streams.generator(self.seed, purpose, *counters)
        t = torch.randn(shape, generator=g) if normal else torch.rand(shape, generator=g)
        return self.local(t)

    def fake_labels(self, n: int, *counters: int) -> Optional[torch.Tensor]:
        if not self.cfg["conditional"]:
            return None
        g = streams.generator(self.seed, "labels", *counters)
        return self.local(torch.randint(self.data.num_classes, (n,), generator=g))

    @contextlib.contextmanager
    def seeded(self, purpose: str, *counters: int):
        """Draws a network makes from torch's global RNG (StyleGAN2's noise inputs, dropout) seeded from
        `streams` for this block and the global RNG restored after it: a function of the seed and step,
        so a resumed run draws them again identically."""
        devices = []
        if self.device.type == "cuda":
            devices = [self.device.index if self.device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(streams.seed_of(self.seed, purpose, *counters))
            yield

    # -- the networks ----------------------------------------------------------------------------------
    def gen(self, z: torch.Tensor, y: Optional[torch.Tensor], name: str = "G") -> torch.Tensor:
        return self.f[name](z) if y is None else self.f[name](z, y)

    def disc(self, x: torch.Tensor, y: Optional[torch.Tensor], name: str = "D") -> torch.Tensor:
        return self.f[name](x, y)

    # -- augmentation (DiffAugment, ADA) ---------------------------------------------------------------
    def start_phase(self, name: str, index: int) -> None:
        self.phase, self._calls = (name, int(index)), 0

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """Every image an objective shows D (real and fake, in D's and G's phases, and inside R1) passes
        here. The augmentation's draws are keyed by (step, phase, run of the phase, call in the phase),
        so they are the same after a resume and on any number of ranks."""
        if self.augmenter is None:
            return x
        from .objectives import phase_id

        self._calls += 1
        g = streams.generator(self.seed, "augment", self.step, phase_id(self.phase[0]), self.phase[1], self._calls)
        return self.augmenter(x, Draws(g, self.world, self.rank, self.device))

    def observe_real(self, logits: torch.Tensor) -> None:
        """D's outputs on real images, for an augmentation that adapts (ADA's r_t): passed as the global
        batch's outputs (gathered over ranks), detached."""
        observe = getattr(self.augmenter, "observe", None)
        if observe is None:
            return
        logits = logits.detach().float()
        if self.world > 1:
            import torch.distributed as dist

            parts = [torch.empty_like(logits) for _ in range(self.world)]
            dist.all_gather(parts, logits)
            logits = torch.cat(parts)
        observe(logits.cpu())
