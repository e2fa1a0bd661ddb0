"""The stacked-digits classifier as a feature extractor: the offline classifier that `gan-test` reads.

Each 8x8 RGB stacked-digit image (toydata/stacked_digits.py) goes through ganbench's digit classifier
(toydata/classifier.py: an RBF SVC fitted on scikit-learn's bundled digits, no weights file) channel by
channel. "pool" is the three channels' ten one-vs-rest decision values (30 numbers); "logits" scores
the 1,000 modes, mode 100 r + 10 g + b scoring dec_R[r] + dec_G[g] + dec_B[b], so its argmax is the
mode of the three channels' best digits; "pixels" is the image itself (192 numbers on 0..1), which CAS
trains its classifier on. Any other classifier plugs in the same way: an object with
`name`, `dims` {"pool": D, "logits": K}, `weights`, `describe()` and `__call__(images)` passed to
`ganbench.evaluate(..., extractor=...)` (tests/faults.py's TinyExtractor is one).
"""

from __future__ import annotations

import hashlib
import types

import numpy as np

from ..errors import GanbenchError

NAME = "stacked-digits-classifier"
MODES = 1000


def _identity() -> str:
    from ..toydata import classifier as c

    return hashlib.sha256(f"digits-svc C={c.SVC_C} seed={c.SPLIT_SEED} held={c.HELDOUT_FRACTION}".encode()).hexdigest()


class DigitsClassifier:
    name = NAME
    dims = {"pool": 30, "logits": MODES, "pixels": 192}
    device = "cpu"

    def __init__(self):
        sha = _identity()
        # the classifier is fitted by ganbench from scikit-learn's bundled data: it is its own official one
        self.weights = types.SimpleNamespace(
            official=True,
            sha256=sha,
            path=None,
            known=None,
            describe=lambda: {"sha256": sha, "official": True, "path": None, "source": "fitted on sklearn digits"},
        )

    def describe(self) -> dict:
        return {
            "extractor": self.name,
            "weights_sha256": self.weights.sha256,
            "weights_official": True,
            "resize": "none",
            "dtype": "float64->float32",
        }

    def __call__(self, images):
        from ..toydata.classifier import _features, _fitted

        x = np.asarray(images)
        if x.ndim != 4 or x.shape[1:] != (8, 8, 3):
            raise GanbenchError(
                f"the {NAME} reads 8x8 RGB stacked-digit images, not {x.shape[1:]}: "
                f"score these images with another extractor"
            )
        channels = x.transpose(0, 3, 1, 2).reshape(-1, 8, 8)
        dec = _fitted()[0].decision_function(_features(channels)).reshape(len(x), 3, 10)
        logits = dec[:, 0, :, None, None] + dec[:, 1, None, :, None] + dec[:, 2, None, None, :]
        pixels = (x.astype(np.float32) / 255.0).reshape(len(x), 192)
        return dec.reshape(len(x), 30).astype(np.float32), logits.reshape(len(x), MODES).astype(np.float32), pixels
