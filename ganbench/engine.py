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

from . import cache, distributed
from .defaults import DEFAULTS
from .errors import GanbenchError
from .features import InceptionExtractor, get_features  # noqa: F401 - diagnose resolves through here
from .features.pipeline import FeatureSet, cache_mode, is_cached, pick_batch_size
from .metrics import METRICS
from .metrics.base import Features
from .records import NOT_OFFICIAL, Result, environment
from .features.files import (PFID_KIND, PFID_WARNING, check_compatible, check_stats_path, is_stats_file,
                          load_stats_file, write_stats_file)

INTERVAL_KEYS = ("bootstrap", "bootstrap_seed", "confidence")


def option_keys() -> tuple:
    """The options `evaluate` takes beyond its own arguments: the intervals', and every metric's own."""
    from .metrics.base import metric_options

    return INTERVAL_KEYS + tuple(metric_options())


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


def resolve_reference(ref, key: Optional[str] = None) -> tuple:
    """(label, ImageSource or FeatureSet). Registered names first, then paths."""
    from .inputs.images import open_source

    if isinstance(ref, FeatureSet):
        return "features", ref
    if isinstance(ref, (str, Path)) and not Path(ref).exists():
        if _is_registered(str(ref)):
            return str(ref), _registered_reference(str(ref))
        from .inputs import references

        known = ", ".join(references.REFERENCES.names())
        raise GanbenchError(f"reference {ref!s}: no such file or folder, and not a known reference name "
                            f"(known: {known}); pass an existing path or one of those names")
    if isinstance(ref, (str, Path)) and is_stats_file(ref):
        return str(ref), load_stats_file(ref)
    src = open_source(ref, key=key)
    return (str(ref) if isinstance(ref, (str, Path)) else "array"), src


def resolve_samples(samples, key: Optional[str] = None) -> tuple:
    """(label, ImageSource or FeatureSet) for the generated side: images, or a statistics file."""
    from .inputs.images import open_source

    if isinstance(samples, FeatureSet):
        return "features", samples
    if isinstance(samples, (str, Path)) and is_stats_file(samples):
        return str(samples), load_stats_file(samples)
    src = open_source(samples, key=key)
    return (str(samples) if isinstance(samples, (str, Path)) else "array"), src


def _options(overrides: dict) -> dict:
    opts = {k: DEFAULTS[k] for k in option_keys()}
    for k, v in overrides.items():
        if k not in opts:
            raise TypeError(f"unknown option {k!r}")
        if v is not None:
            opts[k] = v
    opts["_memo"] = {}  # shared scratch space: the four k-NN metrics reuse one distance pass
    return opts


def _check_options(names: Sequence[str], opts: dict) -> None:
    for name in names:
        validate = METRICS.get(name).validate
        if validate is not None:
            validate(opts)


def _stats_only(f: Features) -> bool:
    return f.pool is None and f.logits is None and f.stats is not None


def _check_counts(names: Sequence[str], gen: Features, ref: Features, opts: dict) -> None:
    for name in names:
        m = METRICS.get(name)
        need = m.min_samples(opts)
        for side, f in (("samples'", gen), ("reference's", ref)):
            if "spatial" in m.needs and (side == "samples'" or m.uses_ref) and "spatial" not in f.extra:
                raise GanbenchError(f"{name} needs the {side} mixed_6/conv features, which a statistics file made "
                                    f"without them does not hold: recompute it with `ganbench stats --spatial`, or "
                                    f"pass the images")
        if _stats_only(gen) and set(m.needs) & {"pool", "logits", "spatial"}:
            raise GanbenchError(f"{name} needs the samples' features but the samples are a file of mean/covariance "
                                f"only; use --metrics fid, or pass the images")
        if not _stats_only(gen) and gen.n < need:
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


def _count_only(obj) -> Features:
    if obj is None:
        return Features()
    if isinstance(obj, FeatureSet):
        return Features(obj.pool, obj.logits, stats=obj.stats, extra=obj.extra)
    rows = _rows(len(obj))
    return Features(rows, extra={"spatial": rows})  # images: every output can be extracted


def _side_features(obj, label: str, desc: dict, extractor, keep: str, use_cache, desc_text: str, **kw) -> FeatureSet:
    """Features of one side: a precomputed FeatureSet (checked against the extractor) or extracted."""
    if isinstance(obj, FeatureSet):
        if obj.meta.get("kind") == PFID_KIND:
            warnings.warn(PFID_WARNING.format(path=label), stacklevel=3)
        check_compatible(obj.meta, desc, label)
        return obj
    return get_features(obj, extractor=extractor, keep=keep, use_cache=use_cache, desc=desc_text, **kw)


def _check_inputs(*sources, extractor=None, use_cache=True) -> None:
    """Open and check every image of every side before any feature is extracted (a broken file must
    not surface after minutes of extraction); a side whose features are cached needs no check."""
    for src in sources:
        if src is None or isinstance(src, FeatureSet):
            continue
        if use_cache and extractor is not None and is_cached(src, extractor):
            continue
        src.check()


def _side_meta(fs: FeatureSet, label) -> dict:
    if fs.meta.get("kind") == PFID_KIND:  # what is known of a bare (mu, sigma) file
        return {"name": label, "count": None, "kind": PFID_KIND, "content_sha256": None,
                "file_sha256": fs.meta.get("file_sha256"), "dims": fs.meta.get("dims")}
    meta = {"name": label, "count": fs.n, "cached": fs.meta.get("cached"),
            "content_sha256": fs.meta.get("content_sha256"), "source": fs.meta.get("source")}
    for key in ("kind", "file_sha256"):
        if fs.meta.get(key):
            meta[key] = fs.meta[key]
    return meta


def evaluate(samples, ref=None, metrics: Optional[Iterable[str]] = None, *, weights=None,
             resize: str = DEFAULTS["resize"], batch_size: Optional[int] = DEFAULTS["batch_size"], device=None,
             num_workers: Optional[int] = None, use_cache: bool = True, extractor=None,
             fast: bool = DEFAULTS["fast"], key: Optional[str] = None, ref_key: Optional[str] = None,
             **options) -> Result:
    """Score `samples` against `ref`.

    samples: folder, .npz/.npy (`key` picks the array of a multi-array .npz), uint8 NHWC array or
    tensor, or a statistics file (`ganbench stats`: every metric; pytorch-fid (mu, sigma): FID).
    ref: a registered name (`cifar10`, `cifar10-test`), a folder/.npz/.npy of images (`ref_key`),
    a `ganbench stats` file, or a pytorch-fid (mu, sigma) .npz for FID. Options: see
    `ganbench.defaults.DEFAULTS`.
    """
    names = parse_metrics(metrics)
    opts = _options(options)
    needs_ref = any(METRICS.get(n).uses_ref for n in names)
    if needs_ref and ref is None:
        raise GanbenchError(f"{', '.join(n for n in names if METRICS.get(n).uses_ref)} need a reference: "
                            "pass --ref NAME|PATH")
    timings = {}
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        t = time.perf_counter()
        _check_options(names, opts)
        gen_label, gen_obj = resolve_samples(samples, key)
        ref_label, ref_obj = resolve_reference(ref, ref_key) if ref is not None else (None, None)
        # the counts are known now: fail before minutes of feature extraction, not after
        _check_counts(names, _count_only(gen_obj), _count_only(ref_obj), opts)
        if extractor is None:
            extractor = InceptionExtractor(weights=weights, resize=resize, device=device, fast=fast,
                                           spatial=any("spatial" in METRICS.get(n).needs for n in names))
        desc = extractor.describe()
        use_cache = cache_mode(use_cache)
        _check_inputs(gen_obj, ref_obj, extractor=extractor, use_cache=use_cache)
        timings["setup"] = time.perf_counter() - t

        only_fid = names == ["fid"] and not opts["bootstrap"]
        keep = "stats" if only_fid else "features"
        kw = dict(batch_size=batch_size, num_workers=num_workers)
        ref_fs = None
        if ref_obj is not None:
            t = time.perf_counter()
            ref_fs = _side_features(ref_obj, f"reference {ref_label}", desc, extractor, keep, use_cache,
                                    "reference features", **kw)
            timings["reference_features"] = time.perf_counter() - t
        t = time.perf_counter()
        gen_fs = _side_features(gen_obj, f"samples {gen_label}", desc, extractor, keep, False, "sample features", **kw)
        timings["sample_features"] = time.perf_counter() - t
        if not distributed.is_main():  # under torchrun: rank 0 gathered the features and scores them
            return None

        gen = Features(gen_fs.pool, gen_fs.logits, gen_fs.stats, name="samples", extra=gen_fs.extra)
        ref_f = (Features(ref_fs.pool, ref_fs.logits, ref_fs.stats, name=str(ref_label), extra=ref_fs.extra)
                 if ref_fs else Features())
        _check_counts(names, gen, ref_f, opts)
        results = {}
        for name in names:
            t = time.perf_counter()
            rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(name.encode())])
            results[name] = METRICS.get(name).compute(gen, ref_f if ref_fs else None, opts, rng)
            timings[f"metric_{name}"] = time.perf_counter() - t
    caught = list(dict.fromkeys(str(w.message) for w in wlist))  # each warning once
    if not extractor.weights.official:
        caught.insert(0, NOT_OFFICIAL.format(sha=extractor.weights.sha256[:16]))
    samples_meta = (gen_obj.describe() | {"content_sha256": gen_obj.content_hash()}
                    if not isinstance(gen_obj, FeatureSet) else _side_meta(gen_fs, gen_label))
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
        "samples": samples_meta,
        "reference": _side_meta(ref_fs, ref_label) if ref_fs is not None else {"name": None, "count": 0},
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        **({"world_size": distributed.world_size()} if distributed.is_enabled() else {}),
    }
    return Result(results, provenance, caught)


def compute_stats(source, output=None, *, weights=None, resize: str = DEFAULTS["resize"],
                  batch_size: Optional[int] = DEFAULTS["batch_size"], device=None, num_workers: Optional[int] = None,
                  use_cache: bool = True, fast: bool = DEFAULTS["fast"], key: Optional[str] = None,
                  spatial: bool = False) -> FeatureSet:
    """Features + statistics of a reference, optionally written to `output` for later `--ref output`.
    `spatial` also keeps the mixed_6/conv features, so the file serves sFID too."""
    from .inputs.images import open_source

    if output is not None:  # before minutes of extraction, not after
        check_stats_path(output)
        cache.check_writable(output, "statistics file", "pass -o a writable path")
    label = str(source) if isinstance(source, (str, Path)) else "array"
    if isinstance(source, (str, Path)) and not Path(source).exists() and _is_registered(str(source)):
        src = _registered_reference(str(source))
    else:
        src = open_source(source, key=key)
    extractor = InceptionExtractor(weights=weights, resize=resize, device=device, fast=fast, spatial=spatial)
    use_cache = cache_mode(use_cache)
    _check_inputs(src, extractor=extractor, use_cache=use_cache)
    fs = get_features(src, extractor=extractor, batch_size=batch_size, num_workers=num_workers,
                      use_cache=use_cache, desc="features")
    fs.meta = {**fs.meta, "name": label}
    if output is not None:
        write_stats_file(fs, output)
    return fs
