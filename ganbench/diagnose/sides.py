"""One side of `diagnose` (the samples or the reference): its image count, how the record describes it, and
its per-image features, extracted from images or read from a `ganbench stats` file."""

from __future__ import annotations

import os

from ..errors import GanbenchError


def count(obj) -> int:
    return obj.n if hasattr(obj, "meta") and hasattr(obj, "stats") else len(obj)  # FeatureSet or ImageSource


def described(given, obj):
    if isinstance(given, (str, os.PathLike)):
        return str(given)
    return obj.describe() if hasattr(obj, "describe") else {"kind": "features", "count": count(obj)}


def per_image(obj, label: str) -> None:
    """Every diagnostic compares images one by one: a side of statistics only cannot be diagnosed."""
    from ..features.files import PFID_KIND
    from ..features.pipeline import FeatureSet

    if isinstance(obj, FeatureSet) and obj.pool is None:
        kind = "a pytorch-fid (mu, sigma) file" if obj.meta.get("kind") == PFID_KIND else "statistics only"
        raise GanbenchError(
            f"{label} holds {kind}, no per-image features, and every diagnostic compares "
            "images one by one: pass the images, or a file from `ganbench stats`"
        )


def side(obj, label: str, extractor, use_cache, **kw):
    """(FeatureSet, images or None) of one side: features extracted from images, or a stats file's."""
    from ..features import get_features
    from ..features.files import check_compatible
    from ..features.pipeline import FeatureSet

    if isinstance(obj, FeatureSet):
        check_compatible(obj.meta, extractor.describe(), label)
        return obj, None
    return get_features(obj, extractor=extractor, use_cache=use_cache, **kw), obj
