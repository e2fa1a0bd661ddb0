"""Shared fixtures. Real images come from ../shared/data/cifar10-excerpt.npz (see SOURCES.md there)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GANBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own GANBENCH_HOME so no test reads another's cache or the user's."""
    monkeypatch.setenv("GANBENCH_HOME", str(tmp_path_factory.mktemp("ganbench_home")))
    monkeypatch.setenv("GANBENCH_QUIET", "1")


@pytest.fixture(scope="session")
def cifar_excerpt():
    """The 2,034 real CIFAR-10 images: dict with train_images/test_images (N,32,32,3 uint8) and labels."""
    path = SHARED_DATA / "cifar10-excerpt.npz"
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the checkout")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def write_random_inception(path: Path, seed: int = 0) -> Path:
    """A deterministic random-init Inception-v3 of the exact FID architecture and key layout.

    Scaled so activations stay O(1) through 94 layers (He-normal convs, varied BN statistics)
    and the logits give a non-degenerate softmax: the metrics computed with it are then
    sensitive to the inputs, as with the real weights. It is NOT the official network.
    """
    import torch

    from ganbench.features.inception import InceptionV3

    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in InceptionV3().state_dict().items():
        shape = value.shape
        if key.endswith("conv.weight"):
            fan_in = shape[1] * shape[2] * shape[3]
            state[key] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
        elif key.endswith("bn.weight"):
            state[key] = 0.8 + 0.4 * torch.rand(shape, generator=g)
        elif key.endswith("bn.bias"):
            state[key] = 0.1 * torch.randn(shape, generator=g)
        elif key.endswith("running_mean"):
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


@pytest.fixture(scope="session")
def inception_weights(tmp_path_factory) -> Path:
    """Path of the random-init Inception weights file (same for the whole session)."""
    return write_random_inception(tmp_path_factory.mktemp("weights") / "random-inception.pth")
