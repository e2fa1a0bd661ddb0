"""inputs -> features: the Inception extractor, its weights, resizing, and the cached pipeline.

The names below are imported on first use (PEP 562), so that reading a FeatureSet or a metric's
options does not import torch: `ganbench --help`, `--version` and `list` stay fast."""

from importlib import import_module

_WHERE = {
    "InceptionExtractor": "extractor",
    "pick_device": "extractor",
    "FeatureSet": "pipeline",
    "extract": "pipeline",
    "get_features": "pipeline",
    "load_featureset": "pipeline",
    "save_featureset": "pipeline",
    "OFFICIAL_SHA256": "weights",
    "Weights": "weights",
    "resolve_weights": "weights",
}

__all__ = list(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
