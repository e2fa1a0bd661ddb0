"""Deterministic random-init weights for the FID Inception-v3: for tests, benchmarks and offline trials.

The real weights cannot be downloaded everywhere (CI has no internet). This file has the exact
architecture and key layout, so it goes through the same `--weights` mechanism, and every
result computed with it is marked NOT official.
"""

from __future__ import annotations

from pathlib import Path


def write_random_inception(path: Path, seed: int = 0) -> Path:
    """A deterministic random-init Inception-v3 of the exact FID architecture and key layout.

    Scaled so activations stay O(1) through 94 layers (He-normal convs, varied BN statistics)
    and the logits give a non-degenerate softmax: the metrics computed with it are then
    sensitive to the inputs, as with the real weights. It is NOT the official network.
    """
    import torch

    from .inception import InceptionV3

    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in InceptionV3().state_dict().items():
        shape = value.shape
        if key.endswith("conv.weight"):
            fan_in = shape[1] * shape[2] * shape[3]
            state[key] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
        elif key.endswith("bn.weight"):
            state[key] = 0.8 + 0.4 * torch.rand(shape, generator=g)
        elif key.endswith("bn.bias") or key.endswith("running_mean"):
            state[key] = 0.1 * torch.randn(shape, generator=g)
        elif key.endswith("running_var"):
            state[key] = 0.5 + torch.rand(shape, generator=g)
        elif key.endswith("num_batches_tracked"):
            state[key] = torch.zeros((), dtype=torch.long)
        elif key == "fc.weight":
            state[key] = torch.randn(shape, generator=g) * (4.0 / shape[1]) ** 0.5
        elif key == "fc.bias":
            state[key] = 0.1 * torch.randn(shape, generator=g)
        else:  # pragma: no cover - a new parameter would need a rule here
            raise KeyError(key)
    torch.save(state, path)
    return path
