"""The one device resolver: every command and extractor turns --device into a torch.device here."""

from __future__ import annotations

import torch

from .errors import GanbenchError


def pick_device(device=None) -> torch.device:
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
