"""Precomputed reference files: ganbench's own (`ganbench stats`) and pytorch-fid's (mu, sigma).

File format and validation on synthetic features (no Inception run); the end-to-end use
(`ganbench stats reals/ -o ...` then `--ref` it) is in test_cli_eval.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.engine import evaluate
from ganbench.errors import GanbenchError
from ganbench.features.files import MARKER, check_compatible, is_stats_file, load_stats_file, write_stats_file
from ganbench.features.pipeline import FeatureSet, save_featureset
from ganbench.sides import resolve_reference
from ganbench.stats import GaussianStats

D, C = 2048, 1008
DESC = {
    "extractor": "inception-v3-compat",
    "weights_sha256": "ab" * 32,
    "weights_official": False,
    "resize": "tf-legacy",
    "dtype": "float32",
}


def features(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return FeatureSet(
        rng.normal(size=(n, D)).astype(np.float32),
        rng.normal(size=(n, C)).astype(np.float32),
        meta={**DESC, "count": n, "content_sha256": "cd" * 32},
    )


def assert_clean_error(result, *fragments):
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def test_ganbench_stats_file_round_trip(tmp_path):
    fs = features()
    path = write_stats_file(fs, tmp_path / "reals.ganbench.npz")
    assert is_stats_file(path)
    back = load_stats_file(path)
    np.testing.assert_array_equal(back.pool, fs.pool)
    np.testing.assert_array_equal(back.logits, fs.logits)
    ref = GaussianStats.from_features(fs.pool)
    np.testing.assert_allclose(back.stats.mu, ref.mu, rtol=0, atol=1e-12)
    np.testing.assert_allclose(back.stats.sigma, ref.sigma, rtol=0, atol=1e-12)
    assert back.n == 20 and back.meta[MARKER] == 1
    assert back.meta["weights_sha256"] == DESC["weights_sha256"]
    label, obj = resolve_reference(path)  # an existing stats file is a reference of its own
    assert label == str(path) and isinstance(obj, FeatureSet) and obj.n == 20


def test_stats_output_must_be_npz(tmp_path):
    with pytest.raises(GanbenchError, match=r"must end in \.npz"):
        write_stats_file(features(), tmp_path / "reals.stats")


def test_pytorch_fid_file_is_a_statistics_only_reference(tmp_path):
    st = GaussianStats.from_features(features().pool)
    path = tmp_path / "fid_stats_cifar10.npz"
    np.savez(path, mu=st.mu, sigma=st.sigma)
    assert is_stats_file(path)
    fs = load_stats_file(path)
    assert fs.pool is None and fs.logits is None
    np.testing.assert_array_equal(fs.stats.mu, st.mu)
    np.testing.assert_array_equal(fs.stats.sigma, st.sigma)
    assert fs.meta["kind"] == "pytorch-fid statistics"


def test_pytorch_fid_file_with_wrong_shapes_or_dims(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, mu=np.zeros(D), sigma=np.zeros((D, 5)))
    with pytest.raises(GanbenchError, match="do not match"):
        load_stats_file(bad)
    dims64 = tmp_path / "dims64.npz"  # pytorch-fid --dims 64: a valid file for another feature layer
    np.savez(dims64, mu=np.zeros(64), sigma=np.eye(64))
    with pytest.raises(GanbenchError, match=r"64-d statistics.*--dims 2048"):
        load_stats_file(dims64)


def test_feature_file_without_marker_is_refused(tmp_path):
    """A cache file (meta + pool, no marker) is not a statistics file someone made on purpose."""
    path = tmp_path / "cache.npz"
    save_featureset(features(), path)
    assert is_stats_file(path)
    with pytest.raises(GanbenchError, match="not a ganbench statistics file"):
        load_stats_file(path)


def test_garbage_npz_is_not_a_stats_file(tmp_path):
    path = tmp_path / "reals.ganbench.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    assert not is_stats_file(path)
    with pytest.raises(GanbenchError, match=str(path)):
        resolve_reference(path)


def test_check_compatible_refuses_other_options():
    check_compatible(DESC, DESC, "reference r")
    check_compatible({}, DESC, "reference r")  # pytorch-fid files say nothing: accepted for FID
    with pytest.raises(GanbenchError, match=r"resize=clean.*tf-legacy.*ganbench stats"):
        check_compatible({**DESC, "resize": "clean"}, DESC, "reference r")
    with pytest.raises(GanbenchError, match="weights_sha256"):
        check_compatible({**DESC, "weights_sha256": "ef" * 32}, DESC, "reference r")


def test_eval_refuses_a_stats_file_made_with_other_options(tmp_path, cifar_excerpt, inception_weights):
    """Checked before any sample is extracted; one line, no traceback, through the CLI."""
    from ganbench.features.weights import resolve_weights

    w = resolve_weights(inception_weights)
    fs = features()
    fs.meta.update(weights_sha256=w.sha256, resize="clean")
    ref = write_stats_file(fs, tmp_path / "clean.ganbench.npz")
    samples = tmp_path / "s.npy"
    np.save(samples, cifar_excerpt["test_images"][:8])
    out = tmp_path / "out.json"
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(samples),
            "--ref",
            str(ref),
            "--metrics",
            "fid",
            "--weights",
            str(inception_weights),
            "--json",
            str(out),
        ],
    )
    assert_clean_error(r, str(ref), "resize=clean", "ganbench stats")
    assert not out.exists()
    with pytest.raises(GanbenchError, match="resize=clean"):
        evaluate(samples, ref=ref, metrics=["fid"], weights=inception_weights)


def test_stats_file_with_too_few_images_for_kid(tmp_path, cifar_excerpt, inception_weights):
    fs = features(n=10)
    ref = write_stats_file(fs, tmp_path / "small.ganbench.npz")
    with pytest.raises(GanbenchError, match=r"kid needs at least 20 reference samples, got 10.*--kid-subset-size"):
        evaluate(
            cifar_excerpt["test_images"][:30], ref=ref, metrics=["kid"], weights=inception_weights, kid_subset_size=20
        )
