"""Precomputed feature files: ganbench's own (`ganbench stats`: features, logits and their Gaussian
statistics) and pytorch-fid's (mu, sigma only)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import GanbenchError

MARKER = "ganbench_stats"
PFID_KIND = "pytorch-fid statistics"
PFID_WARNING = (
    "{path} holds only (mu, sigma) statistics (pytorch-fid format): ganbench cannot check which "
    "extractor, weights and resize made them, so FID is right only if they match this evaluation's; "
    "prefer a file from `ganbench stats`"
)
LOCAL_KEYS = ("cached", "cache_file")  # about this machine's cache, not about the statistics


def npz_keys(path: Path) -> list:
    try:
        with zipfile.ZipFile(path) as z:
            return [n[:-4] for n in z.namelist() if n.endswith(".npy")]
    except (zipfile.BadZipFile, OSError):
        return []


def is_stats_file(path) -> bool:
    path = Path(path)
    if path.suffix != ".npz" or not path.is_file():
        return False
    keys = set(npz_keys(path))
    return {"mu", "sigma"} <= keys or (("meta" in keys) and ("pool" in keys))


def load_stats_file(path):
    """A FeatureSet from a stats file; pytorch-fid files give statistics only (FID-only references)."""
    from ..cache import file_digest
    from ..stats import GaussianStats
    from .pipeline import FeatureSet, load_featureset

    path = Path(path)
    try:
        if "meta" in npz_keys(path):
            fs = load_featureset(path)
            if not fs.meta.get(MARKER):
                raise GanbenchError(f"{path} is not a ganbench statistics file; recreate it with `ganbench stats`")
            fs.meta = {**fs.meta, "kind": "ganbench statistics", "path": str(path), "file_sha256": file_digest(path)}
            return fs
        with np.load(path, allow_pickle=False) as z:
            mu, sigma = np.asarray(z["mu"], np.float64), np.asarray(z["sigma"], np.float64)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as e:
        raise GanbenchError(f"cannot read statistics file {path}: {e}; recreate it") from None
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        raise GanbenchError(
            f"{path}: mu {mu.shape} and sigma {sigma.shape} do not match; expected mu (d,) and sigma (d, d)"
        )
    from .inception import POOL_DIM

    if len(mu) != POOL_DIM:
        raise GanbenchError(
            f"{path} holds {len(mu)}-d statistics but FID here uses the {POOL_DIM}-d pool3 "
            f"features: recreate it with pytorch-fid --dims {POOL_DIM} or `ganbench stats`"
        )
    return FeatureSet(
        None,
        None,
        stats=GaussianStats(mu, sigma, n=0),
        meta={"kind": PFID_KIND, "path": str(path), "file_sha256": file_digest(path), "dims": int(len(mu))},
    )


def write_stats_file(fs, path) -> Path:
    """Features, logits and Gaussian statistics together: one file serves every metric."""
    from ..stats import GaussianStats
    from .pipeline import FeatureSet, save_featureset

    path = check_stats_path(path)
    if fs.stats is None and fs.pool is not None:
        fs.stats = GaussianStats.from_features(fs.pool)
    meta = {k: v for k, v in fs.meta.items() if k not in LOCAL_KEYS}
    save_featureset(FeatureSet(fs.pool, fs.logits, fs.stats, {**meta, MARKER: 1}, extra=fs.extra), path)
    fs.meta = {**fs.meta, MARKER: 1}
    return path


def check_stats_path(path) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        raise GanbenchError(f"statistics file {path} must end in .npz (e.g. reals.ganbench.npz)")
    return path


def check_compatible(meta: dict, extractor_desc: dict, where: str) -> None:
    """Refuse a precomputed reference made with other weights, resize mode or extractor."""
    for key in ("extractor", "weights_sha256", "resize", "dtype"):
        if key in meta and meta[key] != extractor_desc[key]:
            raise GanbenchError(
                f"{where} was computed with {key}={meta[key]!s:.20} but this evaluation uses "
                f"{extractor_desc[key]!s:.20}; recompute it with `ganbench stats` using the same options"
            )


def describe_meta(meta: dict) -> str:
    return json.dumps({k: meta.get(k) for k in ("extractor", "resize", "weights_sha256", "count")})
