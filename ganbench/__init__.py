"""ganbench: evaluation and benchmarking for generative image models.

Data flow: inputs -> features -> stats -> metrics -> records (-> leaderboards).
"""

from .version import __version__  # noqa: F401


def evaluate(*args, **kwargs):
    """Score samples against a reference; see `ganbench.engine.evaluate`."""
    from .engine import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


def compute_stats(*args, **kwargs):
    """Precompute a reference's features and statistics; see `ganbench.engine.compute_stats`."""
    from .engine import compute_stats as _compute_stats

    return _compute_stats(*args, **kwargs)


def list_metrics():
    from .metrics import list_metrics as _list

    return _list()
