"""The one device resolver: every command and extractor turns --device into a torch.device here.
torch is imported when a device is asked for, so modules that only declare things load without it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .errors import GanbenchError

if TYPE_CHECKING:  # torch is imported when a device is asked for
    import torch


def inference_mode(f):
    """torch.inference_mode() as a decorator that imports torch on the first call, not at definition."""

    @functools.wraps(f)
    def run(*args, **kwargs):
        import torch

        with torch.inference_mode():
            return f(*args, **kwargs)

    return run


def pick_device(device=None) -> torch.device:
    import torch

    if device in (None, "", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise GanbenchError(f"unknown device {device!r}: use cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise GanbenchError(f"device {device!r} was asked for but CUDA is not available: use --device cpu")
    if dev.type == "cuda" and dev.index is None:
        from . import distributed

        # under torchrun each process takes the GPU of its local rank
        dev = torch.device("cuda", distributed.local_rank() % torch.cuda.device_count())
    return dev
