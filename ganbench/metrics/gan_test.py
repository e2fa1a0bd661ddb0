"""GAN-test (Shmelkov, Schmid, Alahari 2018, How good is my GAN?): the accuracy of a classifier trained on
real data on the samples' intended classes, argmax of its logits against the samples' labels; per-class
accuracies in the record's `extra`. The classifier is the extractor's "logits": ganbench's offline
stacked-digits classifier by default (features/digits.py, whose 1,000 classes are the stacked-digits
modes); any other plugs in as `ganbench.evaluate(..., extractor=CLASSIFIER)` (see features/digits.py).
Reads the samples only: no reference.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from .base import Features, Metric, MetricValue, percentile_ci, register, with_defaults


def compute(gen: Features, ref: Features, opts: dict, rng=None) -> MetricValue:
    if gen.labels is None:
        raise GanbenchError("gan-test needs the samples' intended classes: pass --labels")
    if gen.logits is None:
        raise GanbenchError("gan-test needs the classifier's logits of the samples: pass the images")
    k = gen.logits.shape[1]
    if gen.labels.max() >= k:
        raise GanbenchError(
            f"gan-test: a sample is labelled {int(gen.labels.max())} but the classifier has {k} "
            f"classes (0..{k - 1}): pass labels in the classifier's classes"
        )
    right = np.argmax(gen.logits, axis=1) == gen.labels
    per = {str(c): float(right[gen.labels == c].mean()) for c in np.unique(gen.labels).tolist()}
    out = MetricValue(float(right.mean()), extra={"per_class": per, "classes": len(per)})
    opts = with_defaults(opts)
    if opts["bootstrap"] and rng is not None:  # the accuracy of resampled samples: a plain percentile interval
        boot = [right[rng.integers(0, len(right), len(right))].mean() for _ in range(opts["bootstrap"])]
        out.ci = percentile_ci(boot, opts["confidence"], floor=0.0, ceiling=1.0)
        out.ci_method = "percentile bootstrap over the samples"
    return out


METRIC = register(
    Metric(
        name="gan-test",
        summary="accuracy of a classifier trained on real data on the samples' intended classes (higher is better)",
        reference="Shmelkov et al. 2018 GAN-test; the classifier: ganbench's stacked-digits SVC or a plug-in",
        needs=("logits", "labels"),
        uses_ref=False,
        min_samples=lambda opts: 1,
        compute=compute,
        extractor="stacked-digits-classifier",
        better="higher",
        bounds=(0.0, 1.0),
    ),
    "gan_test",
)
