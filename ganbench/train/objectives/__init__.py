"""Training families as objectives (see docs in base.py and the design note): a baseline's TOML names
its objective in [train] (`objective = "stylegan2"`), default "adversarial". This module imports no
torch, so the options table can list the names."""

from __future__ import annotations

import zlib
from importlib import import_module

# name -> (module, class): imported on first use
OBJECTIVES = {
    "adversarial": ("adversarial", "Adversarial"),  # DCGAN/LSGAN/WGAN(-GP)/SNGAN/cGAN-PD, unrolled
    "stylegan2": ("stylegan2", "StyleGAN2"),  # lazy R1, path length, style mixing, kimg EMA
    "paired": ("paired", "Paired"),  # pix2pix: G(input) -> output, conditional PatchGAN D, BCE + L1
    "superres": ("superres", "SuperRes"),  # SRResNet (MSE) and SRGAN (VGG54 + 1e-3 BCE)
    "cycle": ("cycle", "Cycle"),  # CycleGAN: G_AB, G_BA, D_A, D_B, LSGAN + cycle + identity, image pools
}


def get(name: str):
    """The objective class named `name`; an unknown name is a one-line error listing the known ones."""
    if name not in OBJECTIVES:
        from ...errors import GanbenchError

        raise GanbenchError(
            f"unknown objective {name!r}: known objectives are {', '.join(OBJECTIVES)}; "
            "fix `objective` in the baseline's [train] or --set objective=..."
        )
    module, cls = OBJECTIVES[name]
    return getattr(import_module(f"{__name__}.{module}"), cls)


def objective_for(cfg: dict):
    return get(cfg.get("objective", "adversarial"))(cfg)


def phase_id(name: str) -> int:
    """A phase name as a stream counter (stable across runs and machines)."""
    return zlib.crc32(name.encode())


__all__ = ["OBJECTIVES", "get", "objective_for", "phase_id"]
