"""One table of defaults, shared by the Python API and the CLI (the CLI reads its defaults here)."""

from collections.abc import Mapping
from typing import Any, Dict

ENGINE: Dict[str, Any] = {
    # inputs -> features
    "extractor": "inception-v3-compat",  # torch-fidelity's / pytorch-fid's TF-exact Inception-v3
    "resize": "tf-legacy",  # 'tf-legacy' (torch-fidelity, pytorch-fid) or 'clean' (clean-fid)
    "batch_size": None,  # None: from the device and its free memory (CPU: 8 per core; CUDA: up to 256)
    "fast": False,  # CUDA only: TF32 matmuls/convolutions; the reference protocol is plain fp32
    "device": None,  # None: CUDA when present, else CPU
    "num_workers": 0,  # image decoding processes; 0 decodes in the main process
    "weights": None,  # None: --weights, GANBENCH_INCEPTION_WEIGHTS, the cache, then the official URL
    # metrics: which, and the intervals; each metric's own options (kid_subsets, is_splits, ...) and
    # their defaults are declared in its module and merged in below
    "metrics": ("fid", "is", "kid", "precision", "recall", "density", "coverage"),
    "bootstrap": 0,  # number of bootstrap resamples for confidence intervals; 0 = off
    "bootstrap_seed": 0,
    "confidence": 0.95,
    # quality gates (`compare`, `check`): paired bootstrap replicates, and the gate's error rate
    "gate_bootstrap": 200,
    "gate_alpha": 0.05,
}


class _Defaults(Mapping):
    """ENGINE plus every registered metric's options, merged on first use (the metrics register
    themselves on import, and importing them here at module load would be circular)."""

    def __init__(self):
        self._merged = None

    def _table(self) -> dict:
        if self._merged is None:
            from . import metrics  # noqa: F401 - registration
            from .metrics.base import metric_options

            self._merged = {**ENGINE, **metric_options()}
        return self._merged

    def __getitem__(self, key):
        return self._table()[key]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())


DEFAULTS = _Defaults()
