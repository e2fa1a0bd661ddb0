"""The digit classifier behind the stacked-digits metrics, trained by ganbench in well under a second.

scikit-learn's bundled `digits` (1,797 images, 8x8, grey levels 0..16; load_digits, no download) is
split once, stratified, into a training half and a held-out half (SPLIT_SEED, HELDOUT_FRACTION).  An
RBF support-vector classifier (SVC, C = SVC_C, gamma = 'scale'; deterministic) is fitted on the
training half; its accuracy on the held-out half is `classifier_accuracy()` (0.990 with these pins).
As in Stacked MNIST (the classifier is trained on the MNIST training set the stacked images are built
from), `sample_stacked_digits` draws from the training half, on which the classifier makes no error
(checked by a test): every spurious mode a score shows then comes from the samples, not from the data.
Pixels are handled on the 0..255 scale of the stacked-digit images (grey level v becomes round(255 v / 16)).
"""

from __future__ import annotations

import functools

import numpy as np

SPLIT_SEED = 0
HELDOUT_FRACTION = 0.5
SVC_C = 5.0
GREY_LEVELS = 16  # digits pixels run 0..16


def to_uint8(grey: np.ndarray) -> np.ndarray:
    """digits grey levels 0..16 -> uint8 0..255."""
    return np.rint(np.asarray(grey, dtype=np.float64) * (255.0 / GREY_LEVELS)).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def _split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = to_uint8(digits.images)
    train, held = train_test_split(
        np.arange(len(images)), test_size=HELDOUT_FRACTION, stratify=digits.target, random_state=SPLIT_SEED
    )
    return images[train], digits.target[train], images[held], digits.target[held]


@functools.lru_cache(maxsize=1)
def _fitted():
    from sklearn.svm import SVC

    x_train, y_train, x_held, y_held = _split()
    clf = SVC(C=SVC_C, gamma="scale").fit(_features(x_train), y_train)
    accuracy = float((clf.predict(_features(x_held)) == y_held).mean())
    return clf, accuracy


def _features(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, dtype=np.float64).reshape(len(images), 64) / 255.0


def training_digits():
    """The pool the benchmark's images come from: uint8 (k, 8, 8) on 0..255 and their labels (k,)."""
    x_train, y_train, _, _ = _split()
    return x_train, y_train


def heldout_digits():
    """The held-out pool: images uint8 (k, 8, 8) on 0..255 and their digit labels (k,)."""
    _, _, x_held, y_held = _split()
    return x_held, y_held


def classifier_accuracy() -> float:
    """Accuracy of the digit classifier on the held-out half it was not trained on."""
    return _fitted()[1]


def predict_digits(images: np.ndarray) -> np.ndarray:
    """Digit labels (int64) of single-channel images (m, 8, 8) on the 0..255 scale."""
    x = np.ascontiguousarray(images).reshape(len(images), 64)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    # mode-collapsed samples repeat a lot: classify each distinct image once (rows compared as bytes)
    rows = x.view(np.dtype((np.void, x.dtype.itemsize * 64))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return _fitted()[0].predict(_features(x[first])).astype(np.int64)[inverse.ravel()]
