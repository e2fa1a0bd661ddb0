"""Training the baselines: `train()` (session.py), `sample()` (sampling.py) and `evaluate_run()`
(scoring a run's samples through the engine, with the record's `run` block filled in)."""

from __future__ import annotations

import sys as _sys
import types as _types

from .options import OPTIONS, parse_sets
from .runs import is_run_dir


def __getattr__(name):  # torch is imported when training or sampling is asked for, not for `list options`
    if name in ("train", "sample"):
        from importlib import import_module

        value = getattr(import_module(f"{__name__}.{'session' if name == 'train' else 'sampling'}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


RUN_KEYS = (  # a Result's run block: the model that made the samples
    "baseline",
    "config_hash",
    "step",
    "training_seed",
    "sampling_seed",
    "checkpoint_sha256",
    "ema",
    "checkpoint_selection",
    "n",
)


def evaluate_run(
    run_dir,
    ref=None,
    metrics=None,
    *,
    n: int = 50000,
    sample_seed: int = 0,
    checkpoint="last",
    ema=None,
    device=None,
    sample_batch_size: int = 500,
    progress: bool = True,
    classes=None,
    **eval_kwargs,
):
    """Sample `n` images from a run and score them like `ganbench eval` does; the Result's `run`
    block says which model made them. A conditional run's samples are scored with the classes they were
    drawn for (`classes` as `sample` takes them), unless `labels` says otherwise."""
    from ..engine import evaluate
    from ..path_length import asks_ppl
    from .sampling import sample

    if asks_ppl(metrics):  # the run's G itself, not its samples
        from .ppl_run import ppl_run

        return ppl_run(run_dir, ref, n, sample_seed, checkpoint, ema, device, classes, progress, eval_kwargs)
    if eval_kwargs.pop("lpips_weights", None) is not None:
        from ..errors import GanbenchError

        raise GanbenchError("--lpips-weights is read by ppl and by --target's lpips: leave it out here")
    samples, info = sample(
        run_dir,
        n,
        seed=sample_seed,
        checkpoint=checkpoint,
        ema=ema,
        device=device,
        batch_size=sample_batch_size,
        progress=progress,
        classes=classes,
    )
    if info["kind"] == "points":
        from ..errors import GanbenchError

        raise GanbenchError(
            f"{run_dir} makes 2-D points: score them with `ganbench diagnose` on "
            f"`ganbench sample {run_dir} -o points.npz`, not with Inception metrics"
        )
    if info["labels"] is not None:
        eval_kwargs.setdefault("labels", info["labels"])
    result = evaluate(samples, ref=ref, metrics=metrics, device=device, **eval_kwargs)
    if result is not None:
        result.run = {k: info[k] for k in RUN_KEYS}
        result.provenance["samples"] = {**result.provenance.get("samples", {}), "run_dir": str(run_dir)}
    return result


__all__ = ["OPTIONS", "evaluate_run", "is_run_dir", "parse_sets", "sample", "train"]


class _CallableModule(_types.ModuleType):
    """`ganbench.train(...)` is the function even once `ganbench.train` the package is imported."""

    def __call__(self, *args, **kwargs):
        from .session import train

        return train(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
