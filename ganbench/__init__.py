"""ganbench: evaluation and benchmarking for generative image models.

Data flow: inputs -> features -> stats -> metrics -> records (-> leaderboards).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple

from .version import __version__  # noqa: F401

if TYPE_CHECKING:
    from .annotations import Images
    from .features.featureset import FeatureSet
    from .records import Result


def evaluate(samples: Images, *args: Any, **kwargs: Any) -> Optional[Result]:
    """Score samples against a reference; see `ganbench.engine.evaluate`. A run folder of
    `ganbench train` is sampled first (`ganbench.train.evaluate_run`: n, checkpoint, ema, sample_seed);
    a generator (a torch.nn.Module or callable from latents to images) is sampled in memory
    (`ganbench.streaming.evaluate_generator`: n, z_dim, seed, classes, batch_size). Under torchrun
    rank 0 returns the Result and the other ranks None."""
    if callable(samples):  # never a path, array, tensor or feature set
        from .streaming import evaluate_generator

        return evaluate_generator(samples, *args, **kwargs)
    from .train.runs import is_run_dir

    if is_run_dir(samples):
        from .train import evaluate_run

        return evaluate_run(samples, *args, **kwargs)
    from .engine import evaluate as _evaluate

    return _evaluate(samples, *args, **kwargs)


def ppl(G: Callable[..., Any], *args: Any, **kwargs: Any) -> Result:
    """Perceptual path length of the generator G; see `ganbench.path_length.ppl`."""
    from .path_length import ppl as _ppl

    return _ppl(G, *args, **kwargs)


def evaluate_paired(outputs: Images, targets: Images, *args: Any, **kwargs: Any) -> Result:
    """Score each output against its target (psnr, ssim, lpips; fid/kid of the outputs against the
    targets when asked); see `ganbench.paired.evaluate_paired`."""
    from .paired import evaluate_paired as _evaluate_paired

    return _evaluate_paired(outputs, targets, *args, **kwargs)


def train(*args: Any, **kwargs: Any) -> dict:
    """Train a baseline into a run folder; see `ganbench.train.session.train`."""
    from .train.session import train as _train

    return _train(*args, **kwargs)


def sample(*args: Any, **kwargs: Any) -> Any:
    """Seeded samples of a trained run; see `ganbench.train.sampling.sample`."""
    from .train.sampling import sample as _sample

    return _sample(*args, **kwargs)


def list_baselines() -> List[str]:
    from .baselines import list_baselines as _list

    return _list()


def compute_stats(*args: Any, **kwargs: Any) -> Optional[FeatureSet]:
    """Precompute a reference's features and statistics; see `ganbench.engine.compute_stats`."""
    from .engine import compute_stats as _compute_stats

    return _compute_stats(*args, **kwargs)


def list_metrics() -> List[Tuple[str, str, str]]:
    from .metrics import list_metrics as _list

    return _list()


def __getattr__(name: str) -> Any:  # `ganbench.Metrics` imports torch when asked for, not with `import ganbench`
    if name == "Metrics":
        from .streaming import Metrics

        return Metrics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
