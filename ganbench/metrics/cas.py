"""Classification Accuracy Score (Ravuri & Vinyals 2019): a classifier trained on the samples, labelled
with their intended classes, and tested on held-out real images (the reference) with their labels.

The classifier is the stacked-digits benchmark's own recipe (toydata/classifier.py: an RBF SVC, C 5,
gamma 'scale', on the 64 pixels of one channel), fitted on the samples' channels with the digits of
their intended modes (mode = 100 r + 10 g + b) instead of on real digits; a reference image counts as
right when all three of its channels are. It reads the stacked-digits extractor's "pixels" output
(features/digits.py); the reference for the paper's protocol is real data the generator never saw,
e.g. `sample_stacked_digits(n, heldout=True)`. Per-class accuracies go into the record's `extra`.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, register

WEIGHTS = np.array([100, 10, 1])


def _channels(f: Features, side: str):
    pixels = f.extra.get("pixels")
    if pixels is None:
        raise GanbenchError(
            f"cas needs the {side}' pixels from the stacked-digits-classifier extractor: pass the "
            f"8x8 stacked-digit images themselves"
        )
    if f.labels is None:
        raise GanbenchError(f"cas needs the {side}' classes: pass --labels / --ref-labels")
    if f.labels.max() >= 1000:
        raise GanbenchError(f"cas: the {side} hold label {int(f.labels.max())}, but stacked-digit modes are 0..999")
    x = np.asarray(pixels, np.float64).reshape(len(pixels), 8, 8, 3).transpose(0, 3, 1, 2).reshape(-1, 64)
    digits = (f.labels[:, None] // np.array([100, 10, 1])) % 10
    return x, digits.reshape(-1)


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    from sklearn.svm import SVC

    from ..toydata.classifier import SVC_C

    x, y = _channels(gen, "samples")
    if len(np.unique(y)) < 2:
        raise GanbenchError(
            "cas: the samples' labels name one digit only, and a classifier needs two classes to "
            "learn: pass samples of more classes"
        )
    clf = SVC(C=SVC_C, gamma="scale").fit(x, y)
    xr, _ = _channels(ref, "reference")
    predicted = clf.predict(xr).reshape(-1, 3) @ WEIGHTS
    right = predicted == ref.labels
    per = {str(c): float(right[ref.array("labels") == c].mean()) for c in np.unique(ref.array("labels")).tolist()}
    return MetricValue(
        float(right.mean()), extra={"per_class": per, "classes": len(per), "trained_on": len(gen.array("labels"))}
    )


METRIC = register(
    Metric(
        name="cas",
        summary="accuracy on real held-out images of a classifier trained on the samples and their classes "
        "(higher is better)",
        reference="Ravuri & Vinyals 2019 (CAS); the stacked-digits SVC recipe of ganbench.toydata.classifier",
        needs=("pixels", "labels"),
        uses_ref=True,
        min_samples=lambda opts: 2,
        compute=compute,
        extractor="stacked-digits-classifier",
        better="higher",
        bounds=(0.0, 1.0),
    )
)
