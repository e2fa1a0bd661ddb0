"""Paired evaluation: outputs + their targets -> per-pair psnr/ssim/lpips -> means with intervals, and,
when asked in the same run, FID/KID (any feature metric) of the outputs against the targets.

`evaluate_paired()` is what `ganbench eval OUTPUTS --target TARGETS` calls. It is a flag of `eval`
rather than a verb of its own because it is the same act (score images, one record, the same
options, --json) with a second side that is matched pair by pair instead of compared as a set.
"""

from __future__ import annotations

import time
import warnings
import zlib
from typing import Iterable, Optional

import numpy as np

from .inputs.pairs import open_pairs
from .metrics import METRICS
from .records import Result, environment

PAIRED_DEFAULT = ("psnr", "ssim", "lpips")
BATCH = 64  # pairs per batch (LPIPS runs a network on them)
# what `ganbench.evaluate` takes besides options, passed on to it for the feature metrics
FEATURE_ARGS = {
    "weights",
    "weights_for",
    "resize",
    "fast",
    "num_workers",
    "use_cache",
    "extractor",
    "save_features",
    "labels",
    "ref_labels",
}
NOT_OFFICIAL_LPIPS = (
    "NOT the official LPIPS {net} weights (backbone sha256 {sha}...): the lpips numbers are not "
    "comparable with published results"
)


def evaluate_paired(
    outputs,
    targets,
    metrics: Optional[Iterable[str]] = None,
    *,
    key: Optional[str] = None,
    target_key: Optional[str] = None,
    lpips_weights=None,
    device=None,
    batch_size: Optional[int] = None,
    mask=None,
    **kwargs,
) -> Result:
    """Score each output against its target (folders: matched by relative file name; arrays: by index).

    metrics: paired ones (psnr, ssim, lpips) and any feature metric (fid, kid, ...), which then compares
    the outputs with the targets as sets, through `ganbench.evaluate` with the same options.
    lpips_weights: the backbone's weights file, or "random" (NOT official). Options: `DEFAULTS`, e.g.
    paired_channel="y", paired_crop=4, lpips_net="vgg", bootstrap=1000. Other keyword arguments
    (weights, resize, ...) go to the feature metrics.
    `ganbench.diagnose.pairs.write_report` shows the worst pairs side by side (eval --html).
    mask: inpainting's hole, (N, H, W) booleans or a .npz (its `mask`) / .npy; a --target .npz of
    `ganbench data inpainting` (inputs, targets, mask) brings its own. With a mask, psnr/ssim/lpips
    score the hole only and fid/kid the completed images (metrics/masked.py).
    """
    from .engine import _options, option_keys, parse_metrics

    names = parse_metrics(PAIRED_DEFAULT if metrics is None else metrics, paired=True)
    paired = [n for n in names if METRICS.get(n).pairs is not None]
    featured = [n for n in names if n not in paired]
    unknown = set(kwargs) - set(option_keys()) - FEATURE_ARGS
    if unknown:
        raise TypeError(f"unknown option {sorted(unknown)[0]!r}")
    opts = _options({k: v for k, v in kwargs.items() if k in option_keys()})
    for n in paired:
        check = METRICS.get(n).validate
        if check is not None:
            check(opts)
    t0 = time.perf_counter()
    mask_from = (
        mask if mask is not None and not isinstance(mask, np.ndarray) else ("array" if mask is not None else None)
    )
    if mask is None and target_key in (None, "targets") and _inpainting_npz(targets):
        mask, mask_from, target_key = targets, str(targets), "targets"  # the pairs carry their hole
    if mask is not None:
        from .metrics import masked

        masked.check(opts, paired)
    pairs = open_pairs(outputs, targets, key=key, target_key=target_key)
    if mask is not None:
        mask = _mask(mask, pairs)
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        net = None
        if "lpips" in paired:  # the weights before minutes of reading, not after
            from .metrics.lpips import network

            net = network(opts, weights=lpips_weights, device=device)
        fr = None
        if featured:  # first: its counts and options are checked before any pair is read
            from .engine import evaluate

            scored = outputs if mask is None else _completed(pairs, mask)
            fr = evaluate(
                scored,
                targets,
                featured,
                key=None if mask is not None else key,
                ref_key=target_key,
                device=device,
                batch_size=batch_size,
                **kwargs,
            )
        t1 = time.perf_counter()
        values = _per_pair(pairs, paired, opts, batch_size or BATCH, mask)
        results = {}
        for n in paired:
            rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(n.encode())])
            results[n] = METRICS.get(n).compute(values[n], None, opts, rng, names=pairs.names)
    seconds = {"paired": round(time.perf_counter() - t1, 3), "paired_setup": round(t1 - t0, 3)}
    caught = list(dict.fromkeys(str(w.message) for w in wlist))
    if net is not None and not net.official:
        caught.insert(0, NOT_OFFICIAL_LPIPS.format(net=net.net, sha=net.weights.sha256[:16]))
    if fr is not None:
        provenance, caught = fr.provenance, list(dict.fromkeys(fr.warnings + caught))
        results.update(fr.metrics)
        provenance["seconds"].update(seconds)
    else:
        provenance = _provenance(pairs, net, opts, device, batch_size, seconds)
    provenance["metrics"] = names
    provenance["pairs"] = pairs.describe()
    if net is not None:
        provenance["lpips"] = net.describe()
    if mask is not None:
        from .metrics.masked import DEFINITIONS

        provenance["mask"] = {
            "from": mask_from,
            "hole_pixels_mean": float(mask.reshape(len(mask), -1).sum(1).mean()),
            "scored": {n: DEFINITIONS[n] for n in paired},
            **({"features_of": "completed images (input outside the hole, output inside)"} if featured else {}),
        }
        for n in paired:
            results[n].extra = {**(results[n].extra or {}), "masked": DEFINITIONS[n]}
    return Result({n: results[n] for n in names}, provenance, caught)


def _inpainting_npz(targets) -> bool:
    """A --target .npz written by `ganbench data inpainting`: it holds inputs, targets and mask."""
    from pathlib import Path

    if isinstance(targets, np.ndarray) or not str(targets).lower().endswith(".npz") or not Path(targets).is_file():
        return False
    from .inputs.arrays import _npz_keys

    return {"inputs", "targets", "mask"} <= set(_npz_keys(Path(targets)))


def _mask(mask, pairs) -> np.ndarray:
    """The hole of each target, checked against the targets' count and size."""
    from .errors import GanbenchError
    from .toydata.inpainting import read_mask

    size = pairs.targets.shape_hint
    if size is None:
        raise GanbenchError(f"--mask: the targets {pairs.shown[1]} have mixed sizes; a mask needs targets of one size")
    return read_mask(mask, len(pairs.targets), size)


def _completed(pairs, mask) -> np.ndarray:
    """Every output completed: inside the hole the output, outside it the target (which equals the
    inpainting input there): what FID/KID of an inpainting run compare with the targets."""
    from .metrics.masked import composite

    outs, tgts = pairs.read(range(len(pairs)))
    return composite(np.asarray(outs), np.asarray(tgts), mask[pairs.index])


def _per_pair(pairs, names, opts, batch, mask=None) -> dict:
    from .metrics.masked import MASKED
    from .progress import bar

    out = {n: np.empty(len(pairs)) for n in names}
    hint = pairs.outputs.shape_hint
    if hint and "lpips" in names:  # VGG's first layer holds 64 channels per pixel: ~64 pairs of 256x256
        batch = max(1, min(batch, 256 * 256 * 64 // (hint[0] * hint[1])))
    starts = range(0, len(pairs), batch)
    for s in bar(starts, desc="pairs", unit="batch", enabled=None if len(starts) > 1 else False):
        idx = list(range(s, min(s + batch, len(pairs))))
        outs, tgts = pairs.read(idx)
        groups = (
            [(idx, outs, tgts)]
            if isinstance(outs, np.ndarray)
            else [([i], a[None], b[None]) for i, a, b in zip(idx, outs, tgts)]
        )  # sizes differ between pairs
        for where, a, b in groups:
            for n in names:
                if mask is None:
                    per_pair = METRICS.get(n).pairs
                    assert per_pair is not None  # `names` are paired metrics
                    out[n][where] = per_pair(a, b, opts)
                else:
                    out[n][where] = MASKED[n](a, b, mask[[pairs.index[i] for i in where]], opts)
    return out


def _provenance(pairs, net, opts, device, batch_size, seconds) -> dict:
    """A record's provenance when no feature extractor ran: the LPIPS backbone stands as its weights."""
    from .device import pick_device

    dev = pick_device(device)
    weights = net.weights.describe() if net is not None else {"path": None, "sha256": None, "official": None}
    side = pairs.outputs.describe() | {"content_sha256": pairs.outputs.content_hash()}
    target = pairs.targets.describe() | {"content_sha256": pairs.targets.content_hash(), "name": pairs.shown[1]}
    return {
        **environment(dev),
        "weights": weights,
        "extractor": f"lpips-{net.net}" if net is not None else "none",
        "resize": "none",
        "dtype": "float32" if net is not None else "float64",
        "batch_size": batch_size or BATCH,
        "options": {k: v for k, v in opts.items() if not k.startswith("_")},
        "seeds": {"bootstrap": opts["bootstrap_seed"]},
        "samples": side,
        "reference": target,
        "seconds": seconds,
    }
