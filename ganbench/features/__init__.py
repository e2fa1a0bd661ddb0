"""inputs -> features: the Inception extractor, its weights, resizing, and the cached pipeline."""

from .extractor import InceptionExtractor, pick_device
from .pipeline import FeatureSet, extract, get_features, load_featureset, save_featureset
from .weights import OFFICIAL_SHA256, Weights, resolve_weights

__all__ = ["InceptionExtractor", "pick_device", "FeatureSet", "extract", "get_features", "load_featureset",
           "save_featureset", "OFFICIAL_SHA256", "Weights", "resolve_weights"]
