"""One side of a comparison: its features (named outputs) and/or their Gaussian statistics.

The one type every layer passes around: the pipeline returns it, statistics files hold it, and
the metrics read it (`ganbench.metrics.Features` is this class).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Optional

import numpy as np

from ..errors import GanbenchError

if TYPE_CHECKING:
    from ..stats import GaussianStats


@dataclass
class FeatureSet:
    pool: Optional[np.ndarray] = None  # (N, D) float32: the features Frechet-type metrics read (pool3 for Inception)
    logits: Optional[np.ndarray] = None  # (N, 1008) float32, Inception only
    stats: Optional[GaussianStats] = None  # GaussianStats of `pool`; computed on first use when absent
    meta: Dict[str, Any] = field(default_factory=dict)  # extractor description, source, count, cache facts
    extra: Dict[str, np.ndarray] = field(default_factory=dict)  # further named outputs, e.g. "spatial" (sFID)
    name: str = ""  # a label for messages
    labels: Optional[np.ndarray] = None  # (N,) int64 class of each row, for the metrics that read classes

    @property
    def n(self) -> int:
        if self.pool is not None:
            return len(self.pool)
        if self.logits is not None:
            return len(self.logits)
        return int(self.stats.n) if self.stats is not None else 0

    def gaussian(self) -> GaussianStats:
        if self.stats is None:
            from ..stats import GaussianStats

            self.stats = GaussianStats.from_features(self.array("pool"))
        return self.stats

    def array(self, part: str) -> np.ndarray:
        """The `pool`, `logits` or `labels` rows (or a named `extra` output), which a metric that lists them in
        its `needs` can count on (the engine extracts them); a one-line error naming the side when absent."""
        value = getattr(self, part) if part in ("pool", "logits", "labels") else self.extra.get(part)
        if value is None:
            raise GanbenchError(f"{self.name or 'the feature set'} has no {part!r} features")
        return value
