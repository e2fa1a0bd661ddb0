"""Offline mode-collapse benchmarks: 2-D Gaussian mixtures and stacked digits, with their metrics.

Benchmarks (registry `BENCHMARKS`, names from `list_benchmarks()`):

* ``ring``  -- 8 Gaussians on a circle (VEEGAN); 2-D points, default 2,500 samples (mixtures.py)
* ``grid``  -- 25 Gaussians on {-4,-2,0,2,4}^2 (PacGAN); 2-D points, default 2,500 samples
* ``stacked-digits`` -- three 8x8 sklearn digits as RGB, 1,000 modes (Stacked MNIST's analogue);
  uint8 images (N, 8, 8, 3), default 26,000 samples (stacked_digits.py)
* ``swissroll`` -- WGAN-GP's Swiss roll (swissroll.py); 2-D points, no modes, so no mode score

Python API::

    list_benchmarks() -> list[str]
    make(name, n=None, seed=0) -> (data, labels)     # n=None: the benchmark's default sample count
    score(name, data) -> dict                         # data: array, or path to .npy / .npz (arr_0)
    score_points(path_or_array, name) -> dict         # the same, argument order of `ganbench diagnose`

`score` returns, for ring / grid: modes_covered, modes_total, high_quality_fraction, reverse_kl,
mode_counts, n_samples; for stacked-digits: modes_hit, modes_total, kl_to_uniform,
classifier_accuracy, mode_counts, n_samples.  Both KLs are KL(p_gen || uniform) in nats (modes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

from ..errors import GanbenchError
from ..registry import Registry
from . import mixtures, stacked_digits, swissroll
from .io import check_n_seed, load_array, save_dataset
from .mixtures import sample_mixture, score_mixture
from .stacked_digits import sample_stacked_digits, score_stacked_digits


@dataclass(frozen=True)
class Benchmark:
    name: str
    kind: str  # "points" (N, 2) float64 or "images" (N, 8, 8, 3) uint8
    default_n: int
    description: str
    sample: Callable  # (n, seed) -> (data, labels)
    score: Optional[Callable]  # (array or path) -> dict; None: no modes to score (swissroll)


BENCHMARKS: Registry[Benchmark] = Registry("benchmark")

for _name, _mix in mixtures.MIXTURES.items():
    BENCHMARKS.add(
        _name,
        Benchmark(
            _name,
            "points",
            mixtures.DEFAULT_N,
            _mix.description,
            lambda n, seed, _n=_name: sample_mixture(_n, n, seed),
            lambda data, _n=_name: score_mixture(data, _n),
        ),
    )

BENCHMARKS.add(
    "stacked-digits",
    Benchmark(
        "stacked-digits",
        "images",
        stacked_digits.DEFAULT_N,
        "3 sklearn 8x8 digits stacked as RGB, 1000 modes (Stacked MNIST analogue)",
        lambda n, seed: sample_stacked_digits(n, seed),
        score_stacked_digits,
    ),
)

BENCHMARKS.add(
    "swissroll",
    Benchmark(
        "swissroll",
        "points",
        swissroll.DEFAULT_N,
        "WGAN-GP's Swiss roll (sklearn make_swiss_roll, noise 0.25, x and z / 7.5); no modes, no mode score",
        swissroll.sample_swissroll,
        None,
    ),
)


def list_benchmarks() -> List[str]:
    return BENCHMARKS.names()


def make(name: str, n: Optional[int] = None, seed: int = 0):
    """Seeded samples of benchmark `name`: (data, labels) -- labels are the true component / mode."""
    bench = BENCHMARKS.get(name)
    n = bench.default_n if n is None else n
    check_n_seed(n, seed)
    return bench.sample(n, seed)


def score(name: str, data) -> dict:
    """Mode-collapse metrics of generated samples `data` (array or .npy/.npz path) for benchmark `name`."""
    bench = BENCHMARKS.get(name)
    if bench.score is None:
        scored = ", ".join(k for k, b in BENCHMARKS.items() if b.score is not None)
        raise GanbenchError(
            f"{name} has no mode score (it is one continuous manifold, not a mixture of modes): "
            f"score samples of {scored}"
        )
    return bench.score(data)


def score_points(path_or_array, name: str) -> dict:
    """`score(name, path_or_array)`, for 2-D points (ring, grid) and stacked-digit images alike."""
    return score(name, path_or_array)


__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "list_benchmarks",
    "make",
    "score",
    "score_points",
    "load_array",
    "save_dataset",
    "sample_mixture",
    "score_mixture",
    "sample_stacked_digits",
    "score_stacked_digits",
]
