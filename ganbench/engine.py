"""The evaluation engine: samples + reference -> features -> metrics -> a Result with provenance.

`evaluate()` is what `ganbench eval` calls; everything the CLI can do, Python can do here.
"""

from __future__ import annotations

import time
import warnings
import zlib
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from . import distributed
from .defaults import DEFAULTS
from .errors import GanbenchError
from .features import InceptionExtractor, get_features
from .features.pipeline import pick_batch_size
from .features.pipeline import FeatureSet
from .metrics import METRICS
from .metrics.base import Features
from .records import NOT_OFFICIAL, Result, environment
from .stats.files import check_compatible, is_stats_file, load_stats_file, write_stats_file

OPTION_KEYS = ("is_splits", "is_shuffle_seed", "kid_subsets", "kid_subset_size", "kid_degree", "kid_coef0",
               "kid_gamma", "kid_seed", "prc_k", "dc_k", "bootstrap", "bootstrap_seed", "confidence")


def parse_metrics(metrics) -> list:
    if metrics is None:
        metrics = DEFAULTS["metrics"]
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    names = []
    for m in metrics:
        name = METRICS.get(m.lower()).name  # unknown names raise, listing the known ones
        if name not in names:
            names.append(name)
    if not names:
        raise GanbenchError("no metrics asked for: pass e.g. --metrics fid,kid")
    return names


def _registered_reference(name: str):
    from .inputs import references

    return references.resolve_reference(name)


def _is_registered(name: str) -> bool:
    try:
        from .inputs import references
    except ImportError:  # pragma: no cover
        return False
    return name in references.REFERENCES


def resolve_reference(ref) -> tuple:
    """(label, ImageSource or FeatureSet). Registered names first, then paths."""
    from .inputs.images import open_source

    if isinstance(ref, FeatureSet):
        return "features", ref
    if isinstance(ref, (str, Path)) and not Path(ref).exists():
        if _is_registered(str(ref)):
            return str(ref), _registered_reference(str(ref))
        from .inputs import references

        known = ", ".join(references.REFERENCES.names())
        raise GanbenchError(f"reference {ref!s} is neither a file or folder nor a registered reference "
                            f"(known: {known}); pass an existing path or one of those names")
    if isinstance(ref, (str, Path)) and is_stats_file(ref):
        return str(ref), load_stats_file(ref)
    src = open_source(ref)
    return (str(ref) if isinstance(ref, (str, Path)) else "array"), src


def _options(overrides: dict) -> dict:
    opts = {k: DEFAULTS[k] for k in OPTION_KEYS}
    for k, v in overrides.items():
        if k not in opts:
            raise TypeError(f"unknown option {k!r}")
        if v is not None:
            opts[k] = v
    return opts


def _check_counts(names: Sequence[str], gen: Features, ref: Features, opts: dict) -> None:
    for name in names:
        m = METRICS.get(name)
        need = m.min_samples(opts)
        if gen.n < need:
            raise GanbenchError(f"{name} needs at least {need} generated samples, got {gen.n}; "
                                f"supply more samples" + {"kid": " or lower --kid-subset-size",
                                                          "is": " or lower --is-splits"}.get(name, ""))
        if m.uses_ref and "pool" in m.needs and ref.pool is None:
            raise GanbenchError(f"{name} needs reference features but the reference holds only mean/covariance "
                                f"(a pytorch-fid .npz); use --metrics fid, or a file from `ganbench stats`")
        if m.uses_ref and ref.pool is not None and len(ref.pool) < need:
            raise GanbenchError(f"{name} needs at least {need} reference samples, got {len(ref.pool)}"
                                + ("; lower --kid-subset-size" if name == "kid" else ""))


def _rows(n: int) -> np.ndarray:
    """A stand-in feature array with `n` rows and no columns, for checking counts before extracting."""
    return np.empty((n, 0), np.float32)


def _count_only(ref_obj) -> Features:
    if ref_obj is None:
        return Features()
    if isinstance(ref_obj, FeatureSet):
        return Features(ref_obj.pool, stats=ref_obj.stats)
    return Features(_rows(len(ref_obj)))


def evaluate(samples, ref=None, metrics: Optional[Iterable[str]] = None, *, weights=None,
             resize: str = DEFAULTS["resize"], batch_size: Optional[int] = DEFAULTS["batch_size"], device=None,
             num_workers: Optional[int] = None, use_cache: bool = True, extractor=None,
             fast: bool = DEFAULTS["fast"], **options) -> Result:
    """Score `samples` against `ref`.

    samples: folder, .npz/.npy, uint8 NHWC array or tensor. ref: a registered name
    (`cifar10`, `cifar10-test`), a folder/.npz/.npy of images, a `ganbench stats` file, or a
    pytorch-fid (mu, sigma) .npz for FID. Options: see `ganbench.defaults.DEFAULTS`.
    """
    from .inputs.images import open_source

    names = parse_metrics(metrics)
    opts = _options(options)
    needs_ref = any(METRICS.get(n).uses_ref for n in names)
    if needs_ref and ref is None:
        raise GanbenchError(f"{', '.join(n for n in names if METRICS.get(n).uses_ref)} need a reference: "
                            "pass --ref NAME|PATH")
    timings = {}
    caught: list = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        t = time.perf_counter()
        sample_src = open_source(samples)
        ref_label, ref_obj = resolve_reference(ref) if ref is not None else (None, None)
        # the counts are known now: fail before minutes of feature extraction, not after
        _check_counts(names, Features(_rows(len(sample_src))), _count_only(ref_obj), opts)
        if extractor is None:
            extractor = InceptionExtractor(weights=weights, resize=resize, device=device, fast=fast)
        desc = extractor.describe()
        timings["setup"] = time.perf_counter() - t

        only_fid = names == ["fid"] and not opts["bootstrap"]
        keep = "stats" if only_fid else "features"
        ref_fs = None
        if ref_obj is not None:
            t = time.perf_counter()
            if isinstance(ref_obj, FeatureSet):
                check_compatible(ref_obj.meta, desc, f"reference {ref_label}")
                ref_fs = ref_obj
            else:
                ref_fs = get_features(ref_obj, extractor=extractor, batch_size=batch_size, num_workers=num_workers,
                                      use_cache=use_cache, keep=keep, desc="reference features")
            timings["reference_features"] = time.perf_counter() - t

        t = time.perf_counter()
        gen_fs = get_features(sample_src, extractor=extractor, batch_size=batch_size, num_workers=num_workers,
                              use_cache=False, keep=keep, desc="sample features")
        timings["sample_features"] = time.perf_counter() - t
        if not distributed.is_main():  # under torchrun: rank 0 gathered the features and scores them
            return None

        gen = Features(gen_fs.pool, gen_fs.logits, gen_fs.stats, name="samples")
        ref_f = Features(ref_fs.pool, ref_fs.logits, ref_fs.stats, name=str(ref_label)) if ref_fs else None
        if ref_f is not None:
            _check_counts(names, gen, ref_f, opts)
        else:
            _check_counts(names, gen, Features(), opts)
        results = {}
        for name in names:
            t = time.perf_counter()
            rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(name.encode())])
            results[name] = METRICS.get(name).compute(gen, ref_f, opts, rng)
            timings[f"metric_{name}"] = time.perf_counter() - t
        caught = [str(w.message) for w in wlist]

    if not extractor.weights.official:
        caught.insert(0, NOT_OFFICIAL.format(sha=extractor.weights.sha256[:16]))
    ref_meta = {}
    if ref_fs is not None:
        ref_meta = {"name": ref_label, "count": ref_fs.n, "cached": ref_fs.meta.get("cached"),
                    "content_sha256": ref_fs.meta.get("content_sha256"), "source": ref_fs.meta.get("source")}
        if ref_fs.meta.get("kind"):
            ref_meta["kind"] = ref_fs.meta["kind"]
    provenance = {
        **environment(extractor.device),
        "weights": extractor.weights.describe(),
        "extractor": desc["extractor"],
        "resize": desc["resize"],
        "dtype": desc["dtype"],
        "batch_size": pick_batch_size(extractor, batch_size),
        "metrics": names,
        "options": {k: v for k, v in opts.items() if not k.startswith("_")},  # not the metrics' scratch memo
        "seeds": {"bootstrap": opts["bootstrap_seed"], "kid": opts["kid_seed"], "is_shuffle": opts["is_shuffle_seed"]},
        "samples": {**sample_src.describe(), "content_sha256": sample_src.content_hash()},
        "reference": ref_meta or {"name": None, "count": 0},
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        **({"world_size": distributed.world_size()} if distributed.is_enabled() else {}),
    }
    return Result(results, provenance, caught)


def compute_stats(source, output=None, *, weights=None, resize: str = DEFAULTS["resize"],
                  batch_size: Optional[int] = DEFAULTS["batch_size"], device=None, num_workers: Optional[int] = None,
                  use_cache: bool = True, fast: bool = DEFAULTS["fast"]) -> FeatureSet:
    """Features + statistics of a reference, optionally written to `output` for later `--ref output`."""
    from .inputs.images import open_source

    label = str(source) if isinstance(source, (str, Path)) else "array"
    if isinstance(source, (str, Path)) and not Path(source).exists() and _is_registered(str(source)):
        src = _registered_reference(str(source))
    else:
        src = open_source(source)
    extractor = InceptionExtractor(weights=weights, resize=resize, device=device, fast=fast)
    fs = get_features(src, extractor=extractor, batch_size=batch_size, num_workers=num_workers,
                      use_cache=use_cache, desc="features")
    fs.meta = {**fs.meta, "name": label}
    if output is not None:
        write_stats_file(fs, output)
    return fs
