"""CAS (Ravuri & Vinyals 2019) on stacked digits (issue 22): the benchmark's classifier recipe trained on the
samples with their intended classes, tested on real held-out stacked digits."""

from __future__ import annotations

import numpy as np
import pytest

from ganbench.engine import evaluate
from ganbench.errors import GanbenchError
from ganbench.toydata.classifier import heldout_digits, training_digits
from ganbench.toydata.stacked_digits import sample_stacked_digits

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def sets():
    x, y = sample_stacked_digits(400, 0)
    xr, yr = sample_stacked_digits(200, 1, heldout=True)
    return x, y, xr, yr


def test_held_out_stacked_digits_come_from_the_other_half():
    xr, _ = sample_stacked_digits(50, 1, heldout=True)
    held = {im.tobytes() for im in heldout_digits()[0]}
    train = {im.tobytes() for im in training_digits()[0]}
    channels = [c.tobytes() for c in xr.transpose(0, 3, 1, 2).reshape(-1, 8, 8)]
    assert all(c in held for c in channels) and not any(c in train for c in channels)


def test_cas_of_samples_that_follow_their_labels_is_high_and_of_shuffled_labels_near_zero(sets):
    x, y, xr, yr = sets
    follows = evaluate(x, xr, ["cas"], labels=y, ref_labels=yr, use_cache=False).metrics["cas"]
    ignores = evaluate(
        x, xr, ["cas"], labels=np.random.default_rng(0).permutation(y), ref_labels=yr, use_cache=False
    ).metrics["cas"]
    # three channels each right with the held-out accuracy (~0.99) of the same recipe trained on real digits
    assert follows.value > 0.9 and ignores.value < 0.05
    assert follows.extra["trained_on"] == 400 and follows.extra["classes"] == len(np.unique(yr))
    weighted = sum(v * np.sum(yr == int(c)) for c, v in follows.extra["per_class"].items()) / len(yr)
    assert follows.value == pytest.approx(weighted, rel=1e-12)


def test_cas_needs_two_digits_and_the_stacked_digit_images(sets):
    x, y, xr, yr = sets
    one, y1 = sample_stacked_digits(20, 0, digits=[4])
    with pytest.raises(GanbenchError, match="name one digit only"):
        evaluate(one, xr, ["cas"], labels=y1, ref_labels=yr, use_cache=False)
    with pytest.raises(GanbenchError, match="stacked-digit modes are 0..999"):
        evaluate(x, xr, ["cas"], labels=y + 1000, ref_labels=yr, use_cache=False)
