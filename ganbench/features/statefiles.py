"""Reading a weights file without running code: safetensors, or torch.load with weights_only=True, so a
.pth from anywhere can be passed (LPIPS's and DINOv2's backbones, SRGAN's VGG19)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

from ..errors import GanbenchError


def load_state_dict(path: Path, what: str, fix: str = "pass a .pth state dict or a .safetensors file") -> Dict:
    """A state dict from a .safetensors file or a .pth read with weights_only=True (never unpickling code);
    anything else is a one-line error naming `what`, the file and `fix`."""
    import torch

    try:
        if Path(path).suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure here means a bad file
        raise GanbenchError(
            f"cannot load {what} {path}: not a state dict ganbench loads without running code "
            f"({type(e).__name__}); {fix}"
        ) from None
    if not isinstance(state, dict):
        raise GanbenchError(f"{what} {path} holds no state dict; {fix}")
    return state
