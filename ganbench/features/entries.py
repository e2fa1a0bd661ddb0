"""Feature-cache entries: checked when read, written in chunks, one writer at a time.

A cache only saves time, so an entry that cannot be read (cut short, flipped bytes: the zip's CRC-32
catches them) or does not match what it is filed under (content hash, count, extractor, array shapes)
is discarded with one warning and computed again: the result is the one a run without the cache gives.

A long extraction saves its progress in KEY.parts/ every CHUNK_IMAGES images (a whole number of
batches, so the batches, and with them the features, are the ones an uninterrupted run makes): the
features of each chunk, or for a statistics-only entry the exact float64 running moments so far. A
rerun after a kill continues after the last whole chunk. KEY.lock keeps two processes from writing
one entry: the second computes without the cache and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from .. import cache
from ..locks import try_hold
from ..progress import bar
from ..stats.gaussian import RunningMoments
from .featureset import FeatureSet

CHUNK_IMAGES = int(os.environ.get("GANBENCH_CHUNK_IMAGES", "") or 4096)


def _problem(fs: FeatureSet, path: Path, source, extractor) -> Optional[str]:
    """Why the entry read from `path` is not the one its key promises, or None."""
    meta, n, dims = fs.meta, len(source), extractor.dims
    if meta.get("cache_key", path.stem) != path.stem:
        return f"it is filed under {path.stem} but was written as {meta.get('cache_key')}"
    if meta.get("content_sha256") != source.content_hash():
        return "its content hash is not the images'"
    if meta.get("count") != n:
        return f"it holds {meta.get('count')} images, not {n}"
    for k, v in extractor.describe().items():
        if k in meta and meta[k] != v:
            return f"its {k} is not this extractor's"
    arrays = {"pool": fs.pool, "logits": fs.logits, **fs.extra}
    for k, a in arrays.items():
        if a is not None and (len(a) != n or (k in dims and a.ndim == 2 and a.shape[1] != dims[k])):
            return f"its {k} array has shape {a.shape}"
    st = fs.stats
    d = dims["pool"]
    if st is not None and (st.mu.shape != (d,) or st.sigma.shape != (d, d) or int(st.n) != n):
        return f"its statistics have shapes {st.mu.shape} and {st.sigma.shape} for {st.n} images"
    if fs.pool is None and st is None:
        return "it holds neither features nor statistics"
    return None


def load_checked(path: Path, source, extractor) -> Optional[FeatureSet]:
    """The entry at `path`, or None (warned, removed) when it is damaged or inconsistent."""
    from .pipeline import load_featureset

    try:
        with open(path, "rb") as f:  # ours to close: np.load leaves a file it cannot parse open
            fs = load_featureset(f)
        why = _problem(fs, path, source, extractor)
    except Exception as e:  # noqa: BLE001 - any unreadable file (zip, CRC, npy header, JSON) is a bad entry
        fs, why = None, f"unreadable: {type(e).__name__}: {e}"
    if why is None and fs is not None:
        fs.meta.pop("cache_key", None)
        return fs
    warnings.warn(
        f"feature cache entry {path} is damaged ({why}); discarded, computing the features again", stacklevel=2
    )
    try:
        path.unlink()
    except OSError:
        pass
    return None


def _chunk_size(batch_size: int) -> int:
    return max(1, CHUNK_IMAGES // batch_size) * batch_size


def _read(path: Path, want: dict) -> Optional[dict]:
    """A chunk file's arrays when it is whole and made with the same batching (`want`), else None."""
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except Exception:  # noqa: BLE001 - a chunk cut by a kill, or damaged: computed again
        return None
    return arrays if all(meta.get(k) == v for k, v in want.items()) else None


def _write(path: Path, arrays: dict, meta: dict) -> None:
    with cache.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)


def extract_cached(source, extractor, path: Path, *, batch_size, num_workers, keep: str, desc: str, store):
    """Extract into the cache entry `path`, resuming after the last whole chunk of an earlier try;
    `store(fs, path)` writes the finished entry (and only the entry's lock holder writes)."""
    from .pipeline import auto_workers, extract, pick_batch_size

    with try_hold(path.with_suffix(".lock")) as holder:
        if holder is not None:
            warnings.warn(
                f"feature cache entry {path} is being written by process {holder}; computing these "
                "features without the cache",
                stacklevel=2,
            )
            fs = extract(source, extractor, batch_size=batch_size, num_workers=num_workers, keep=keep, desc=desc)
            store(fs, None)
            return fs
        bs = pick_batch_size(extractor, batch_size)
        per = _chunk_size(bs)
        if len(source) <= per:  # one chunk: nothing to resume
            fs = extract(source, extractor, batch_size=bs, num_workers=num_workers, keep=keep, desc=desc)
        else:
            workers = auto_workers(source) if num_workers is None else num_workers
            fs = _chunked(source, extractor, path.with_suffix(".parts"), bs, per, workers, keep, desc)
        store(fs, path)
        shutil.rmtree(path.with_suffix(".parts"), ignore_errors=True)
        return fs


def _chunked(source, extractor, folder: Path, bs: int, per: int, workers: int, keep: str, desc: str) -> FeatureSet:
    from .pipeline import featureset_from, run_batches

    n, names = len(source), list(extractor.dims)
    want = {"batch_size": bs, "chunk": per, "keep": keep, "count": n}
    starts = list(range(0, n, per))
    parts: Dict[str, List[np.ndarray]] = {k: [] for k in names}
    moments, done = RunningMoments(extractor.dims["pool"]), 0
    if keep == "stats":
        state = _read(folder / "moments.npz", want) if folder.is_dir() else None
        if state is not None and int(state["upto"]) in starts[1:]:
            moments, done = RunningMoments.from_snapshot(state), int(state["upto"])
    else:
        for s in starts:
            got = _read(folder / f"chunk-{s:09d}.npz", {**want, "start": s}) if folder.is_dir() else None
            if got is None or any(len(got.get(k, ())) != min(per, n - s) for k in names):
                break
            for k in names:
                parts[k].append(got[k])
            done = s + per
    saving, t0 = True, time.perf_counter()
    with bar(total=n, desc=desc) as pbar:
        pbar.update(done)
        for s in [s for s in starts if s >= done]:
            rows: Dict[str, List[np.ndarray]] = {k: [] for k in names}

            def consume(result):
                if keep == "stats":
                    moments.update(result[0])
                else:
                    for k, arr in zip(names, result):
                        rows[k].append(arr)  # noqa: B023 - called within this iteration

            run_batches(source, extractor, range(s, min(s + per, n)), bs, workers, consume, pbar)
            chunk = {k: np.concatenate(v) for k, v in rows.items()} if keep != "stats" else {}
            for k, v in chunk.items():
                parts[k].append(v)
            if saving and s + per < n:  # the last chunk is the entry itself
                try:
                    if keep == "stats":
                        _write(folder / "moments.npz", {**moments.snapshot(), "upto": np.array(s + per)}, want)
                    else:
                        _write(folder / f"chunk-{s:09d}.npz", chunk, {**want, "start": s})
                except OSError as e:  # progress not saved: the extraction itself goes on
                    saving = False
                    warnings.warn(
                        f"could not save extraction progress in {folder}: {e.strerror or e}; going on "
                        "without (a rerun after a kill starts over)",
                        stacklevel=2,
                    )
    meta = {**extractor.describe(), "count": n, "seconds": round(time.perf_counter() - t0, 3)}
    if keep == "stats":
        return FeatureSet(None, None, stats=moments.finalize(), meta=meta)
    return featureset_from({k: np.concatenate(parts[k]) for k in names}, meta)
