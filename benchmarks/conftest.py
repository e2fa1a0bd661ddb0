"""Benchmarks (pytest-benchmark): ganbench against torch-fidelity, clean-fid and pytorch-fid.

Run them with `python benchmarks/run.py` (see benchmarks/README.md); they are never part of
the test run (`pytest` collects tests/ only, and these files are named bench_*.py).

Every benchmark times each implementation on the same inputs, the same device and the same
weights (a deterministic random-init Inception of the exact FID architecture, given to every
library through the same file), asserts that their outputs agree, and adds a row to the
report that `pytest_sessionfinish` writes as JSON and as a markdown table.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_DATA = Path(os.environ.get("GANBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(HERE))  # for `import report`, `import common`

import report as _report  # noqa: E402


def pytest_addoption(parser):
    g = parser.getgroup("ganbench benchmarks")
    g.addoption("--bench-out", default=None, help="JSON results file (default: benchmarks/results/<device>.json)")
    g.addoption("--bench-quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    g.addoption("--bench-device", default=None, help="cpu or cuda (default: cuda when present)")


class BenchModule(pytest.Module):
    """A bench_*.py file, whose benchmarks are the bench_* functions."""

    def funcnamefilter(self, name: str) -> bool:
        return name.startswith("bench_")


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return BenchModule.from_parent(parent, path=file_path)
    return None


def pytest_configure(config):
    os.environ.setdefault("GANBENCH_QUIET", "1")
    config._ganbench_report = _report.Report(quick=config.getoption("--bench-quick"))


def pytest_sessionfinish(session, exitstatus):
    rep: _report.Report = session.config._ganbench_report
    if not rep.rows:
        return
    out = session.config.getoption("--bench-out")
    path = Path(out) if out else HERE / "results" / f"{rep.machine.get('device_slug', 'unknown')}.json"
    rep.write(path)
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    text = rep.markdown()
    if tr is not None:
        tr.write_sep("=", "ganbench benchmark summary")
        tr.write_line(text)
        tr.write_line(f"results: {path} and {path.with_suffix('.md')}")
    else:  # pragma: no cover
        print(text)


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def quick(request) -> bool:
    return request.config.getoption("--bench-quick")


@pytest.fixture(scope="session")
def device(request) -> str:
    import torch

    d = request.config.getoption("--bench-device")
    return d or ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.fixture(scope="session")
def report(request, device) -> _report.Report:
    rep = request.config._ganbench_report
    if not rep.machine:
        rep.machine = _report.machine_info(device)
    return rep


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ganbench-bench")


@pytest.fixture(scope="session")
def weights(workdir) -> Path:
    """The random-init Inception weights file every implementation loads."""
    from ganbench.features.random_weights import write_random_inception

    return write_random_inception(workdir / "random-inception.pth")


@pytest.fixture(scope="session")
def cifar(report):
    """Real CIFAR-10 images (../shared/data/cifar10-excerpt.npz), else deterministic synthetic ones.

    Speeds do not depend on the content, and every agreement check compares implementations on
    the same images, so a fresh checkout without the excerpt still runs every benchmark.
    """
    path = SHARED_DATA / "cifar10-excerpt.npz"
    if path.exists():
        with np.load(path) as z:
            report.machine["images"] = "CIFAR-10 excerpt (../shared/data/cifar10-excerpt.npz)"
            return {k: z[k] for k in z.files}
    report.machine["images"] = "synthetic (no ../shared/data/cifar10-excerpt.npz)"
    from common import synthetic_images

    return {"train_images": synthetic_images(1024, seed=1), "test_images": synthetic_images(1024, seed=2)}


@pytest.fixture(scope="session")
def fp32_peak(report, device) -> float:
    """Measured fp32 matmul peak of this device in GFLOP/s (best of several large torch.mm)."""
    import torch

    n = 4096
    dev = torch.device(device)
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    if dev.type == "cuda":
        prev = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
    best = float("inf")
    for _ in range(8 if dev.type == "cpu" else 20):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        torch.mm(a, b)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = prev
    found = {"torch.mm (float32)": 2 * n**3 / best / 1e9}
    if dev.type == "cpu":  # numpy's BLAS may be the faster one on this CPU: count the best
        an, bn = a.numpy(), b.numpy()
        best_np = float("inf")
        for _ in range(8):
            t = time.perf_counter()
            np.matmul(an, bn)
            best_np = min(best_np, time.perf_counter() - t)
        found["numpy.matmul (float32)"] = 2 * n**3 / best_np / 1e9
    how, peak = max(found.items(), key=lambda kv: kv[1])
    report.machine["fp32_matmul_peak_gflops"] = round(peak, 1)
    report.machine["fp32_matmul_peak_how"] = f"best of {how} {n}x{n}, repeated; all measured: " + ", ".join(
        f"{k} {v:.1f}" for k, v in found.items()
    )
    return peak
