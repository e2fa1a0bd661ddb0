"""CAS as data augmentation (issue 22): a classifier trained on a small real set plus the samples against
the real set alone, same budget, seeded, scored on held-out stacked digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.engine import evaluate
from ganbench.errors import GanbenchError
from ganbench.toydata.stacked_digits import sample_stacked_digits

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
FAST = {"cas_aug_steps": 200, "cas_aug_seeds": 3}


@pytest.fixture(scope="module")
def sets():
    train = sample_stacked_digits(20, 2)  # a small real training set: more data should help
    gen = sample_stacked_digits(300, 0)
    ref = sample_stacked_digits(200, 1, heldout=True)
    return train, gen, ref


def score(sets, labels=None, **opts):
    (xt, yt), (xg, yg), (xr, yr) = sets
    r = evaluate(
        xg,
        xr,
        ["cas-aug"],
        labels=yg if labels is None else labels,
        ref_labels=yr,
        train=xt,
        train_labels=yt,
        use_cache=False,
        **{**FAST, **opts},
    )
    return r.metrics["cas-aug"], r.provenance


def test_samples_that_follow_their_labels_help_and_shuffled_labels_hurt(sets):
    follows, prov = score(sets)
    shuffled, _ = score(sets, labels=np.random.default_rng(0).permutation(sets[1][1]))
    assert follows.ci[0] > 0 and shuffled.ci[1] < 0
    # paired design: the real-alone arm is the same classifiers whatever the samples are
    assert follows.extra["per_seed_real_alone"] == shuffled.extra["per_seed_real_alone"]
    gains = np.subtract(follows.extra["per_seed_real_plus_generated"], follows.extra["per_seed_real_alone"])
    assert follows.value == pytest.approx(gains.mean(), abs=1e-12)
    assert follows.extra["real_images"] == 20 and follows.extra["generated_images"] == 300
    assert follows.extra["seeds"] == [0, 1, 2] and follows.extra["steps"] == 200
    assert follows.ci_method == "t interval over 3 classifier seeds"
    assert prov["train"]["labels"] == {"source": "array", "classes": len(np.unique(sets[0][1]))}


def test_seeded(sets):
    a, _ = score(sets)
    b, _ = score(sets)
    c, _ = score(sets, cas_aug_seed=5)
    assert a.to_dict() == b.to_dict()
    assert c.extra["per_seed_real_alone"] != a.extra["per_seed_real_alone"] and c.extra["seeds"] == [5, 6, 7]


def test_one_line_errors(sets):
    (xt, yt), (xg, yg), (xr, yr) = sets
    kw = {"labels": yg, "ref_labels": yr, "use_cache": False}
    with pytest.raises(GanbenchError, match="cas-aug needs the model's training set: pass --train"):
        evaluate(xg, xr, ["cas-aug"], **kw)
    with pytest.raises(GanbenchError, match="training set array has no class labels: pass --train-labels"):
        evaluate(xg, xr, ["cas-aug"], train=xt, **kw)
    with pytest.raises(GanbenchError, match="--train-labels names the classes of a training set"):
        evaluate(xg, xr, ["cas"], train_labels=yt, **kw)
    with pytest.raises(GanbenchError, match="cas_aug_seeds=1: an interval over classifier seeds needs two"):
        evaluate(xg, xr, ["cas-aug"], train=xt, train_labels=yt, cas_aug_seeds=1, **kw)


def test_cli_reads_the_training_sets_labels_from_its_npz(sets, tmp_path):
    (xt, yt), (xg, yg), (xr, yr) = sets
    for name, x, y in (("train", xt, yt), ("gen", xg, yg), ("ref", xr, yr)):
        np.savez(tmp_path / f"{name}.npz", x, labels=y)  # images as arr_0
    args = ["eval", tmp_path / "gen.npz", "--ref", tmp_path / "ref.npz", "--train", tmp_path / "train.npz"]
    args += ["--metrics", "cas-aug", "-O", "cas_aug_steps=200", "-O", "cas_aug_seeds=3", "--no-cache", "--json", "-"]
    out = CliRunner().invoke(cli, [str(a) for a in args])
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout[out.stdout.index("{") :])
    assert record["metrics"]["cas-aug"]["value"] == pytest.approx(score(sets)[0].value, abs=1e-12)
    assert record["provenance"]["train"]["labels"]["source"].startswith("array labels")


def test_streaming_metrics_take_the_training_sets_labels(sets):
    from ganbench import Metrics

    (xt, yt), (xg, yg), (xr, yr) = sets
    m = Metrics(["cas-aug"], ref=xr, ref_labels=yr, train=xt, train_labels=yt, use_cache=False, **FAST)
    for i in range(0, len(xg), 128):
        m.update(torch.from_numpy(xg[i : i + 128]).permute(0, 3, 1, 2), labels=yg[i : i + 128])
    assert m.compute().metrics["cas-aug"].to_dict() == score(sets)[0].to_dict()
