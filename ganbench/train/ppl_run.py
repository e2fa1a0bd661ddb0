"""`ppl` of a run folder (`ganbench eval RUN_DIR --metrics ppl`): the run's G loaded from its checkpoint and
walked by ganbench.path_length, with the record's run block as `evaluate_run` fills it."""

from __future__ import annotations


def ppl_run(run_dir, ref, n, seed, checkpoint, ema, device, classes, progress, eval_kwargs: dict):
    from ..device import pick_device
    from ..errors import GanbenchError
    from ..path_length import ppl_of
    from . import RUN_KEYS
    from .sampling import load_generator

    G, info = load_generator(run_dir, checkpoint, ema, pick_device(device))
    if info["kind"] == "points":
        raise GanbenchError(f"{run_dir} makes 2-D points: ppl measures images (LPIPS); it has no meaning here")
    eval_kwargs.setdefault("progress", progress)
    result = ppl_of(
        G,
        ref,
        n=n,
        z_dim=info["z_dim"],
        seed=seed,
        num_classes=info["num_classes"],
        batch_size=eval_kwargs.pop("batch_size", None),
        device=device,
        engine_kwargs=eval_kwargs,
        classes=classes,
    )
    info = {**info, "sampling_seed": int(seed), "n": int(n)}
    result.run = {k: info[k] for k in RUN_KEYS}
    result.provenance["samples"] = {**result.provenance["samples"], "run_dir": str(run_dir)}
    return result
