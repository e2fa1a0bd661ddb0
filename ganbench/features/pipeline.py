"""inputs -> features: batched extraction (batches.py: parallel decoding), streaming statistics and a cache.

The cache key hashes the source's content together with every option that changes the
features (extractor, weights sha256, resize mode, dtype), so a changed option can never
return stale features. Cache files are written atomically.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import cache
from ..defaults import ENGINE as DEFAULTS  # engine keys only: metric options live above this layer
from ..progress import bar
from ..stats import GaussianStats, RunningMoments
from ..stats.gaussian import gather_moments
from .batches import auto_workers, pick_batch_size, run_batches  # entries.py, engine.py, streaming.py: from here too
from .featureset import FeatureSet

CACHE_FORMAT = 1


def extract(
    source,
    extractor,
    *,
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    num_workers: Optional[int] = None,
    keep: str = "features",
    indices: Optional[Sequence[int]] = None,
    desc: str = "features",
) -> FeatureSet:
    """Run `extractor` over `source` (or the given `indices` of it).

    keep='features' returns all pool/logit features; keep='stats' streams pool features into
    float64 running moments and keeps O(d^2) memory whatever N is.

    Decoding runs in `num_workers` processes, prefetching ahead of the network; with an
    extractor that has `submit` (the Inception one), batch k+1 is handed to the device before
    batch k's features are collected, so on CUDA the copy back and the statistics update
    overlap the next forward pass. Under torchrun each rank extracts a contiguous slice and
    rank 0 receives the whole result in the original order (other ranks get an empty set).
    """
    from .. import distributed

    if num_workers is None:
        num_workers = auto_workers(source)
    batch_size = pick_batch_size(extractor, batch_size)
    order = list(range(len(source))) if indices is None else list(indices)
    n = len(order)
    dist_on = distributed.init()
    local = distributed.shard(order) if dist_on else order
    names = list(extractor.dims)  # the extractor's outputs in its order: "pool" first, then e.g. "logits"
    parts: Dict[str, List[np.ndarray]] = {k: [] for k in names}
    moments = RunningMoments(extractor.dims["pool"])

    def consume(result):
        if keep == "stats":
            moments.update(result[0])
        else:
            for k, arr in zip(names, result):
                parts[k].append(arr)

    t0 = time.perf_counter()
    with bar(total=len(local), desc=desc, enabled=None if distributed.is_main() else False) as pbar:
        run_batches(source, extractor, local, batch_size, num_workers, consume, pbar)
    seconds = time.perf_counter() - t0
    meta = {**extractor.describe(), "count": n, "seconds": round(seconds, 3)}
    if keep == "stats":
        total = gather_moments(moments) if dist_on else moments
        if total is None:
            return FeatureSet(
                None, None, meta={**meta, "world_size": distributed.world_size(), "rank": distributed.rank()}
            )
        return FeatureSet(
            None,
            None,
            stats=total.finalize(),
            meta={**meta, **({"world_size": distributed.world_size()} if dist_on else {})},
        )
    arrays = [np.concatenate(parts[k]) if parts[k] else np.zeros((0, extractor.dims[k]), np.float32) for k in names]
    if dist_on:
        meta["world_size"] = distributed.world_size()
        gathered = distributed.gather_rows(arrays, n)
        if gathered is None:
            return FeatureSet(None, None, meta={**meta, "rank": distributed.rank()})
        arrays = gathered
    return featureset_from(dict(zip(names, arrays)), meta)


def featureset_from(arrays: Dict[str, np.ndarray], meta: dict) -> FeatureSet:
    """A FeatureSet of named outputs: "pool" (the features FID-type metrics read), "logits" if any, the rest extra."""
    rest = {k: v for k, v in arrays.items() if k not in ("pool", "logits")}
    return FeatureSet(arrays["pool"], arrays.get("logits"), meta=meta, extra=rest)


# --------------------------------------------------------------------------------- the cache
def cache_path(source, extractor, keep: str) -> Path:
    key = cache.options_key(
        content=source.content_hash(), count=len(source), keep=keep, format=CACHE_FORMAT, **extractor.describe()
    )
    return cache.home() / "features" / f"{key}.npz"


def is_cached(source, extractor) -> bool:
    """Whether features of `source` under `extractor` are in the cache (rank 0 looks; others say no)."""
    from .. import distributed

    if not distributed.is_main() or not getattr(source, "cacheable", True):
        return False
    return any(cache_path(source, extractor, keep).exists() for keep in ("features", "stats"))


def save_featureset(fs: FeatureSet, path: Path) -> None:
    arrays: Dict[str, Any] = {"meta": np.array(json.dumps(fs.meta))}
    if fs.pool is not None:
        arrays["pool"] = fs.pool
    if fs.logits is not None:
        arrays["logits"] = fs.logits
    arrays.update({f"out_{k}": v for k, v in fs.extra.items()})
    if fs.stats is not None:
        arrays.update(mu=fs.stats.mu, sigma=fs.stats.sigma, n=np.array(fs.stats.n))
    with cache.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def load_featureset(path: Union[Path, BinaryIO]) -> FeatureSet:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
        pool = z["pool"] if "pool" in z.files else None
        logits = z["logits"] if "logits" in z.files else None
        stats = GaussianStats(z["mu"], z["sigma"], int(z["n"])) if "mu" in z.files else None
        extra = {k[4:]: z[k] for k in z.files if k.startswith("out_")}
    return FeatureSet(pool, logits, stats=stats, meta=meta, extra=extra)


def get_features(
    source,
    *,
    extractor=None,
    weights=None,
    resize: str = DEFAULTS["resize"],
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    device=None,
    num_workers: Optional[int] = None,
    use_cache=True,
    keep: str = "features",
    desc: str = "features",
) -> FeatureSet:
    """Features of an image source (path, array or ImageSource), from the cache when possible.

    use_cache: True, False, "read" (look in the cache, never write to it) or "progress" (no entry, only
    the progress of a long extraction, so a rerun after a kill resumes it: for samples, seldom scored twice).

    Under torchrun, rank 0 alone reads and writes the cache (its decision is broadcast, so
    nodes need not share a file system) and alone receives the features; other ranks help
    extract and get an empty FeatureSet.
    """
    from .. import distributed
    from ..inputs.images import open_source
    from .extractor import InceptionExtractor

    if not hasattr(source, "read"):
        source = open_source(source)
    if extractor is None:
        extractor = InceptionExtractor(weights=weights, resize=resize, device=device)
    dist_on = distributed.init()
    if not getattr(source, "cacheable", True):  # a generator: its content is known only once made
        use_cache = False
    # rank 0 alone hashes the content and looks in the cache; the other ranks are told its answer
    from . import entries

    path = hit = fs = None
    if use_cache and distributed.is_main():
        path = cache_path(source, extractor, keep)
        # a full features file also serves a statistics-only request; a damaged entry is discarded (warned)
        looks = [path, cache_path(source, extractor, "features")] if keep == "stats" else [path]
        for p in looks if use_cache != "progress" else []:
            fs = entries.load_checked(p, source, extractor) if p.exists() else None
            if fs is not None:
                hit = p
                break
    if dist_on:
        hit = distributed.broadcast_object(None if hit is None else str(hit))
        if hit is not None and not distributed.is_main():
            return FeatureSet(None, None, meta={"cached": True, "rank": distributed.rank()})
    if hit is not None and fs is not None:  # fs is None here only on the other ranks, which returned above
        if keep == "stats" and fs.stats is None:
            fs = FeatureSet(None, None, stats=GaussianStats.from_features(fs.array("pool")), meta=fs.meta)
        fs.meta = {**fs.meta, "cached": True, "cache_file": str(hit)}
        return fs

    def store(fs: FeatureSet, dest: Optional[Path]) -> None:
        fs.meta["source"] = source.describe()
        fs.meta["content_sha256"] = source.content_hash()
        if dest is None:
            return
        try:
            keyed = {**fs.meta, "cache_key": dest.stem}  # an entry knows its key: a misfiled one is caught
            save_featureset(FeatureSet(fs.pool, fs.logits, fs.stats, keyed, fs.extra), dest)
        except OSError as e:  # the features are computed: a full disk must not lose them
            warnings.warn(
                f"could not write the feature cache {dest}: {e.strerror or e}; the features are "
                f"not cached (set GANBENCH_HOME to a writable folder, or pass --no-cache)",
                stacklevel=2,
            )

    if path is not None and use_cache != "read" and not dist_on:  # resumable, one writer at a time
        fs = entries.extract_cached(
            source,
            extractor,
            path,
            batch_size=batch_size,
            num_workers=num_workers,
            keep=keep,
            desc=desc,
            store=store if use_cache is True else lambda done, _entry: store(done, None),
        )
    else:
        fs = extract(source, extractor, batch_size=batch_size, num_workers=num_workers, keep=keep, desc=desc)
        if not distributed.is_main():
            return fs
        store(fs, path if use_cache is True else None)
    fs.meta = {**fs.meta, "cached": False}
    return fs


def cache_mode(use_cache: bool):
    """True, False, or "read" when the cache folder cannot be written (warned about once, up front)."""
    if not use_cache:
        return False
    problem = cache.cache_writable()
    if problem is None:
        return True
    warnings.warn(
        f"{problem}: features will be read from the cache but not written to it (set "
        f"GANBENCH_HOME to a writable folder, or pass --no-cache)",
        stacklevel=2,
    )
    return "read"
