"""Official weights published in another layout (TorchScript), converted once into the cache as
safetensors, without running anything from the source: the metadata names the source and pins the
tensors' digest, which `load_converted` checks on every load."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Dict

from .. import cache
from ..errors import GanbenchError

if TYPE_CHECKING:
    from .weightspec import KnownFile, WeightsSpec


def tensors_digest(state: Dict) -> str:
    """sha256 over names, dtypes, shapes and bytes, in name order: what a converted file must still hold."""
    import torch

    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].contiguous()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def convert(spec: WeightsSpec, kf: KnownFile, src: Path, dest: Path) -> None:
    from safetensors.torch import save_file

    from .torchscript import read_tensors

    label = f"{src} ({kf.origin}'s {kf.name})"
    assert spec.convert is not None  # the specs with a torchscript layout have a converter
    try:
        state = spec.convert(read_tensors(src, label), kf)
    except ValueError as e:
        raise GanbenchError(f"{label} does not hold the expected network ({e}); download it again") from None
    meta = {
        "source_sha256": kf.sha256,
        "source_name": kf.name,
        "source_origin": kf.origin,
        "outputs": ",".join(kf.outputs),
        "tensors_sha256": tensors_digest(state),
    }
    with cache.atomic_path(dest) as tmp:
        save_file(state, str(tmp), metadata=meta)
        os.chmod(tmp, 0o666 & ~cache._umask())  # safetensors writes 0600; every other file follows the umask


def load_converted(path: Path, what: str) -> Dict:
    """A converted file's tensors, refused (one line, with the fix) when they are not what was written."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        state = load_file(str(path))
    except Exception as e:  # noqa: BLE001 - any failure here means a damaged file
        raise GanbenchError(
            f"cannot read {what} {path} ({type(e).__name__}): delete it and run the command again "
            f"(it is converted anew)"
        ) from None
    if meta.get("tensors_sha256") and tensors_digest(state) != meta["tensors_sha256"]:
        raise GanbenchError(
            f"{what} {path} are damaged (their tensors changed since they were converted): delete "
            f"the file and run the command again (it is converted anew)"
        )
    return state
