"""The feature cache under GANBENCH_HOME/features: hits, keys, --no-cache, and failures.

Real Inception (the random-init test weights) on 6 images per side, so each extraction is a
couple of seconds on a CPU. Most runs score precision/recall (cheap); FID on 6 images costs
seconds (a 2048-d eigendecomposition), so it runs only where the statistics-only path is the
point. Extraction is counted by wrapping `ganbench.features.pipeline.extract`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import ganbench.features.pipeline as pipeline
from ganbench import evaluate
from ganbench.cache import home
from ganbench.cli import cli
from ganbench.features import InceptionExtractor

N = 6
pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def images(cifar_excerpt):
    return cifar_excerpt["train_images"][:N], cifar_excerpt["test_images"][:N]


@pytest.fixture
def paths(tmp_path, images):
    samples, reals = tmp_path / "samples.npy", tmp_path / "reals.npy"
    np.save(samples, images[0])
    np.save(reals, images[1])
    return samples, reals


@pytest.fixture
def extracted(monkeypatch):
    """The `desc` of every extraction that runs ('reference features', 'sample features')."""
    calls = []
    real = pipeline.extract

    def counting(source, extractor, **kw):
        calls.append(kw.get("desc"))
        return real(source, extractor, **kw)

    monkeypatch.setattr(pipeline, "extract", counting)
    return calls


def cache_files():
    root = home() / "features"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def leftovers():
    """Every file under GANBENCH_HOME (the weights are elsewhere)."""
    return sorted(p.relative_to(home()).as_posix() for p in home().rglob("*") if p.is_file())


def test_second_eval_reads_reference_features_from_the_cache(paths, extracted, inception_weights):
    samples, reals = paths
    first = evaluate(samples, ref=reals, metrics=["precision", "recall"], weights=inception_weights)
    assert extracted == ["reference features", "sample features"]
    assert first.provenance["reference"]["cached"] is False
    assert len(cache_files()) == 1
    second = evaluate(samples, ref=reals, metrics=["precision", "recall"], weights=inception_weights)
    assert extracted == ["reference features", "sample features", "sample features"]
    assert second.provenance["reference"]["cached"] is True
    assert second.to_dict()["metrics"] == first.to_dict()["metrics"]
    # the full features also serve a statistics-only request (FID alone)
    third = evaluate(samples, ref=reals, metrics=["fid"], weights=inception_weights)
    assert extracted[3:] == ["sample features"] and third.provenance["reference"]["cached"] is True
    assert len(cache_files()) == 1
    assert not [f for f in leftovers() if f.endswith(".part")]


def test_statistics_only_reference_is_cached_too(paths, extracted, inception_weights):
    samples, reals = paths
    first = evaluate(samples, ref=reals, metrics=["fid"], weights=inception_weights)
    second = evaluate(samples, ref=reals, metrics=["fid"], weights=inception_weights)
    assert extracted == ["reference features", "sample features", "sample features"]
    assert [first.provenance["reference"]["cached"], second.provenance["reference"]["cached"]] == [False, True]
    assert second["fid"] == pytest.approx(first["fid"], rel=1e-9)
    assert len(cache_files()) == 1


def test_resize_and_weights_change_the_cache_key(paths, extracted, inception_weights, tmp_path):
    samples, reals = paths
    first = evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights)
    assert len(cache_files()) == 1
    r = evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights, resize="clean")
    assert r.provenance["reference"]["cached"] is False and len(cache_files()) == 2
    # Same network, different file: extra keys are ignored when loading, but the sha256 changes.
    state = torch.load(inception_weights, map_location="cpu", weights_only=True)
    other = tmp_path / "other-inception.pth"
    torch.save({**state, "note": torch.zeros(1)}, other)
    r2 = evaluate(samples, ref=reals, metrics=["precision"], weights=other)
    assert r2.provenance["reference"]["cached"] is False and len(cache_files()) == 3
    assert r2.provenance["weights"]["sha256"] != r.provenance["weights"]["sha256"]
    assert extracted.count("reference features") == 3
    # back to the first options: a hit again
    again = evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights)
    assert again.provenance["reference"]["cached"] is True and extracted.count("reference features") == 3
    assert again["precision"] == first["precision"] == r2["precision"]  # same network, same answer


def test_no_cache_writes_nothing(paths, extracted, inception_weights, tmp_path):
    samples, reals = paths
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            str(samples),
            "--ref",
            str(reals),
            "--metrics",
            "precision",
            "--weights",
            str(inception_weights),
            "--no-cache",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert extracted == ["reference features", "sample features"]
    assert leftovers() == []
    assert out.exists()
    # and it reads nothing either: a cached copy is ignored with --no-cache
    evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights)
    assert len(cache_files()) == 1
    r = evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights, use_cache=False)
    assert r.provenance["reference"]["cached"] is False and extracted.count("reference features") == 3


class FailingExtractor:
    """The real extractor, raising on its `fail_at`-th batch (as an out-of-memory error would)."""

    def __init__(self, inner, fail_at):
        self.inner, self.fail_at, self.calls = inner, fail_at, 0

    def __getattr__(self, name):
        if name == "submit":  # force the plain, synchronous path through __call__
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __call__(self, images):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated failure on batch 2")
        return self.inner(images)


@pytest.mark.parametrize("metrics", [["fid"], ["precision"]], ids=["stats", "features"])
def test_failure_mid_extraction_leaves_nothing(paths, inception_weights, metrics):
    samples, reals = paths
    ex = FailingExtractor(InceptionExtractor(weights=inception_weights, device="cpu"), fail_at=2)
    with pytest.raises(RuntimeError, match="simulated failure"):
        evaluate(samples, ref=reals, metrics=metrics, extractor=ex, batch_size=4)
    assert ex.calls == 2
    assert leftovers() == []


def test_failure_while_writing_the_cache_leaves_no_part_file(paths, inception_weights, monkeypatch):
    samples, reals = paths

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    # the features are computed: a cache that cannot be written costs a warning, not the result
    r = evaluate(samples, ref=reals, metrics=["precision"], weights=inception_weights)
    assert 0 <= r["precision"] <= 1
    assert any("could not write the feature cache" in w and "No space left" in w for w in r.warnings), r.warnings
    assert leftovers() == []
