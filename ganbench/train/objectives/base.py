"""The Objective interface: a training family says which networks and optimisers it builds (by name),
its phases and when each runs, each phase's loss and statistics, and its hooks. The loop
(train/loop.py) knows nothing of any family: it runs the phases it is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import torch

from ..context import StepContext


@dataclass(frozen=True)
class Phase:
    """One optimiser update. The loop, for each phase it runs: freezes every network but `trains`,
    zeroes `opt`'s gradients, calls `loss(ctx)` -> (loss, stats), backpropagates into `trains`' weights,
    averages their gradients over ranks, calls `after_backward(ctx)`, steps `opt`, calls
    `after_step(ctx)`.

    `interval`: the phase runs at steps s with s % interval == 0 (StyleGAN2's lazy regularisation: the
    objective folds the interval into the loss weight, as the paper does). Stats of a phase run several
    times in a step (D's n_dis updates) are averaged; a phase that does not run this step adds no keys,
    so the keys of a step are a function of the step alone (the same on every rank)."""

    name: str
    opt: str
    trains: Tuple[str, ...]
    loss: Callable[[StepContext], Tuple[torch.Tensor, dict]]
    interval: int = 1
    grad_norm: Optional[str] = None  # the stats key of the trained weights' gradient norm, if logged
    after_backward: Optional[Callable[[StepContext], None]] = None  # e.g. orthogonal regularisation of G's grads
    after_step: Optional[Callable[[StepContext], None]] = None  # e.g. WGAN's weight clipping


class Objective:
    """Subclasses: `build` the networks, list `phases(step)`; optionally `ema_decay`, `state`/`restore`."""

    name = ""

    def __init__(self, cfg: dict):
        self.cfg = cfg

    def check(self, world: int) -> None:
        """Raise a one-line GanbenchError for a config this objective cannot train (e.g. on `world` ranks)."""

    def check_data(self, data) -> None:
        """Raise a one-line GanbenchError for training data this config cannot use (before any step)."""

    def refuse_unused(self, names, hint: str = "") -> None:
        """One line naming the options in `names` set away from their default: this objective never reads them,
        so set they would silently do nothing."""
        from ...errors import GanbenchError
        from ..options import OPTIONS

        bad = [k for k in names if self.cfg[k] != OPTIONS[k].default]
        if bad:
            raise GanbenchError(
                f"objective={self.name} does not use {', '.join(bad)}: leave "
                f"{'them' if len(bad) > 1 else 'it'} at the default "
                f"(--set {bad[0]}={OPTIONS[bad[0]].default}){hint}"
            )

    def require_single_step(self, loss: str) -> None:
        """The loss=bce, n_dis=1, g_batch_size=batch_size step that objectives with one fixed loss train."""
        from ...errors import GanbenchError

        cfg = self.cfg
        if cfg["loss"] != "bce" or cfg["n_dis"] != 1 or cfg["g_batch_size"] != cfg["batch_size"]:
            raise GanbenchError(
                f"objective={self.name} trains with {loss} (loss=bce), n_dis=1 and one batch size "
                "for D and G (g_batch_size = batch_size): fix the baseline's [train]"
            )

    def build(self, cfg: dict, seed: int, num_classes: int, device, channels_last: bool, sync_bn: bool):
        """-> models.Nets: the named networks, optimisers, EMA pairs and base learning rates."""
        raise NotImplementedError

    def phases(self, step: int) -> List[Phase]:
        """The phases of generator step `step`, in order (all of them; the loop skips those whose
        interval does not divide the step)."""
        raise NotImplementedError

    def real_images(self, step: int) -> int:
        """Real images D is shown at generator step `step` (the log's images_per_s)."""
        return self.cfg["n_dis"] * self.cfg["batch_size"]

    def ema_decay(self, step: int) -> Optional[float]:
        """The EMA decay after step `step` (None: copy the weights into the EMA copy)."""
        return None if step < self.cfg["ema_start"] else self.cfg["ema"]

    def describe(self) -> Dict[str, object]:
        """What the run's record states about the objective beyond its options (e.g. which backbone
        weights its loss ran on, official or not); {} for most."""
        return {}

    def state(self) -> Dict[str, object]:
        """JSON numbers the objective keeps across steps (StyleGAN2's running pl_mean), for checkpoints."""
        return {}

    def restore(self, state: Dict[str, object]) -> None:
        pass
