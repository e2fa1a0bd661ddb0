"""One side of a comparison (the samples, or the reference): resolving it, checking it, its features.

A side is an ImageSource (images to extract) or a FeatureSet (a statistics file's features).
`resolve_samples` / `resolve_reference` are the one input resolution `eval`, `stats` and
`diagnose` share: registered name | statistics file | folder | .npz/.npy | array | tensor.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional, Sequence, overload

import numpy as np

from .errors import GanbenchError
from .features import get_features
from .features.files import PFID_KIND, PFID_WARNING, check_compatible, is_stats_file, load_stats_file
from .features.pipeline import FeatureSet, is_cached
from .metrics import METRICS
from .metrics.base import Features


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
        raise GanbenchError(
            f"reference {ref!s}: no such file or folder, and not a known reference name "
            f"(known: {known}); pass an existing path or one of those names"
        )
    if isinstance(ref, (str, Path)) and is_stats_file(ref):
        return str(ref), load_stats_file(ref)
    src = open_source(ref, key=key)
    return (str(ref) if isinstance(ref, (str, Path)) else "array"), src


def resolve_samples(samples, key: Optional[str] = None) -> tuple:
    """(label, ImageSource or FeatureSet) for the generated side: images, or a statistics file; or a
    {extractor name: FeatureSet} mapping of features already extracted (`ganbench.Metrics`)."""
    from .inputs.images import open_source

    if isinstance(samples, FeatureSet):
        return "features", samples
    if isinstance(samples, dict) and samples and all(isinstance(v, FeatureSet) for v in samples.values()):
        return "stream", samples
    if isinstance(samples, (str, Path)) and is_stats_file(samples):
        return str(samples), load_stats_file(samples)
    src = open_source(samples, key=key)
    return (str(samples) if isinstance(samples, (str, Path)) else getattr(src, "shown", "array")), src


def for_extractor(obj, name: str):
    """The side as extractor `name` sees it: its entry of a {extractor: FeatureSet} mapping, else the side."""
    if isinstance(obj, dict):
        if name not in obj:
            raise GanbenchError(f"the samples hold features of {', '.join(obj)}, not {name}: extract them with {name}")
        return obj[name]
    return obj


def stats_only(f: Features) -> bool:
    return f.pool is None and f.logits is None and f.stats is not None


def eval_flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def metric_option_flag(key: str) -> str:
    """How `compare` and `check` set a metric's option."""
    return f"-O {key}=N"


def check_counts(names: Sequence[str], gen: Features, ref: Features, opts: dict, flag=eval_flag) -> None:
    """Every sample-count precondition of `names` (KID's subset size, IS's splits, FID-inf's minimum N,
    the k-NN metrics' k); `flag(key)` names the option that changes `key` in the calling command."""
    for name in names:
        m = METRICS.get(name)
        need = m.min_samples(opts)
        for side, f in (("samples'", gen), ("reference's", ref)):
            if "spatial" in m.needs and (side == "samples'" or m.uses_ref) and "spatial" not in f.extra:
                raise GanbenchError(
                    f"{name} needs the {side} mixed_6/conv features, which a statistics file made "
                    f"without them does not hold: recompute it with `ganbench stats --spatial`, or "
                    f"pass the images"
                )
        if stats_only(gen) and set(m.needs) & {"pool", "logits", "spatial"}:
            raise GanbenchError(
                f"{name} needs the samples' features but the samples are a file of mean/covariance "
                f"only; use --metrics fid, or pass the images"
            )
        if not stats_only(gen) and gen.n < need:
            lower = {"kid": "kid_subset_size", "is": "is_splits"}.get(name)
            raise GanbenchError(
                f"{name} needs at least {need} generated samples, got {gen.n}; "
                f"supply more samples" + (f" or lower {flag(lower)}" if lower else "")
            )
        if m.uses_ref and "pool" in m.needs and ref.pool is None:
            raise GanbenchError(
                f"{name} needs reference features but the reference holds only mean/covariance "
                f"(a pytorch-fid .npz); use --metrics fid, or a file from `ganbench stats`"
            )
        if m.uses_ref and ref.pool is not None and len(ref.pool) < need:
            raise GanbenchError(
                f"{name} needs at least {need} reference samples, got {len(ref.pool)}"
                + (f"; lower {flag('kid_subset_size')}" if name == "kid" else "")
            )


def rows(n: int) -> np.ndarray:
    """A stand-in feature array with `n` rows and no columns, for checking counts before extracting."""
    return np.empty((n, 0), np.float32)


def count_only(obj) -> Features:
    if obj is None:
        return Features()
    if isinstance(obj, FeatureSet):
        return obj
    stand_in = rows(len(obj))
    return Features(stand_in, extra={"spatial": stand_in})  # images: every output can be extracted


def side_features(obj, label: str, desc: dict, extractor, keep: str, use_cache, desc_text: str, **kw) -> FeatureSet:
    """Features of one side: a precomputed FeatureSet (checked against the extractor) or extracted."""
    if isinstance(obj, FeatureSet):
        if obj.meta.get("kind") == PFID_KIND:
            warnings.warn(PFID_WARNING.format(path=label), stacklevel=3)
        check_compatible(obj.meta, desc, label)
        return obj
    return get_features(obj, extractor=extractor, keep=keep, use_cache=use_cache, desc=desc_text, **kw)


def check_inputs(*sources, extractors=(), use_cache=True) -> None:
    """Open and check every image of every side, once, before any feature is extracted (a broken file
    must not surface after minutes of extraction); a side cached for every extractor needs no check."""
    for src in sources:
        if src is None or isinstance(src, (FeatureSet, dict)):
            continue
        if use_cache and extractors and all(is_cached(src, ex) for ex in extractors):
            continue
        src.check()


def side_meta(fs: FeatureSet, label) -> dict:
    if fs.meta.get("kind") == PFID_KIND:  # what is known of a bare (mu, sigma) file
        return {
            "name": label,
            "count": None,
            "kind": PFID_KIND,
            "content_sha256": None,
            "file_sha256": fs.meta.get("file_sha256"),
            "dims": fs.meta.get("dims"),
        }
    meta = {
        "name": label,
        "count": fs.n,
        "cached": fs.meta.get("cached"),
        "content_sha256": fs.meta.get("content_sha256"),
        "source": fs.meta.get("source"),
    }
    for key in ("kind", "file_sha256"):
        if fs.meta.get(key):
            meta[key] = fs.meta[key]
    return meta


def side_labels(names: Sequence[str], gen: tuple, ref: tuple, labels=None, ref_labels=None) -> dict:
    """{"gen": (labels, provenance), "ref": (...)} for the metrics that read classes, or for labels given
    anyway; `gen`/`ref` are (label, object, what the user passed). Read before any extraction."""
    from .inputs.side_labels import resolve_labels

    asked = [n for n in names if "labels" in METRICS.get(n).needs]
    need = {"gen": bool(asked), "ref": any(METRICS.get(n).uses_ref for n in asked)}
    if not asked and labels is None and ref_labels is None:
        return {}
    out = {}
    for side, (label, obj, given), spec, flag in (
        ("gen", gen, labels, "--labels"),
        ("ref", ref, ref_labels, "--ref-labels"),
    ):
        required = need[side]
        if obj is None or (spec is None and not required):  # labels no metric reads: nothing to look for
            continue
        registered = (
            str(given)
            if side == "ref"
            and isinstance(given, (str, Path))
            and _is_registered(str(given))
            and not Path(given).exists()
            else None
        )
        try:
            out[side] = resolve_labels(
                spec,
                obj,
                f"{'samples' if side == 'gen' else 'reference'} {label}",
                flag,
                registered=registered,
                required=required,
            )
        except GanbenchError as e:
            if asked and "has no class labels" in str(e):
                both = "both sets" if need["ref"] else "the samples"
                raise GanbenchError(f"{', '.join(asked)} needs the classes of {both}: {e}") from None
            raise
    return out


def train_side_labels(names: Sequence[str], train: tuple, spec=None) -> tuple | None:
    """(labels, provenance) of the training set for the metrics that read its classes (cas-aug), or for
    --train-labels given anyway; `train` is (label, object, what the user passed). None without --train."""
    from .inputs.side_labels import resolve_labels

    label, obj, given = train
    if obj is None and spec is not None:
        raise GanbenchError("--train-labels names the classes of a training set: pass it with --train PATH")
    required = any({"train", "labels"} <= set(METRICS.get(n).needs) for n in names)
    if obj is None or (spec is None and not required):
        return None
    registered = str(given) if isinstance(given, (str, Path)) and _is_registered(str(given)) else None
    if registered is not None and Path(given).exists():
        registered = None
    return resolve_labels(
        spec, obj, f"training set {label}", "--train-labels", registered=registered, required=required
    )


@overload
def with_labels(fs: FeatureSet, found: Optional[tuple]) -> FeatureSet: ...
@overload
def with_labels(fs: None, found: Optional[tuple]) -> None: ...
def with_labels(fs: Optional[FeatureSet], found: Optional[tuple]) -> Optional[FeatureSet]:
    if fs is None or not found or found[0] is None:
        return fs
    from dataclasses import replace

    return replace(fs, labels=found[0])


def labels_meta(found: Optional[tuple]) -> dict:
    if not found or found[0] is None:
        return {}
    labels, info = found
    return {"labels": {**info, "classes": int(len(np.unique(labels)))}}
