"""`diagnose` resolves its inputs as `eval` does (issue 10): a statistics file with features works as the
reference, a (mu, sigma)-only file is refused in one line, and the shared extractor options apply."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.diagnose import diagnose
from ganbench.engine import compute_stats
from ganbench.errors import GanbenchError

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def test_diagnose_takes_a_stats_file_reference(cifar_excerpt, inception_weights, tmp_path):
    np.save(tmp_path / "fakes.npy", cifar_excerpt["train_images"][:12])
    np.save(tmp_path / "reals.npy", cifar_excerpt["test_images"][:12])
    compute_stats(tmp_path / "reals.npy", tmp_path / "reals.ganbench.npz", weights=inception_weights)
    by_file = diagnose(tmp_path / "fakes.npy", tmp_path / "reals.ganbench.npz", k_bins=2, weights=inception_weights)
    by_images = diagnose(tmp_path / "fakes.npy", tmp_path / "reals.npy", k_bins=2, weights=inception_weights)
    assert by_file["n_ref"] == 12 and by_file["summary"] == by_images["summary"]
    with np.load(tmp_path / "reals.ganbench.npz") as z:
        np.savez(tmp_path / "pfid.npz", mu=z["mu"], sigma=z["sigma"])
    with pytest.raises(GanbenchError, match="no per-image features"):
        diagnose(tmp_path / "fakes.npy", tmp_path / "pfid.npz", k_bins=2, weights=inception_weights)
    r = CliRunner().invoke(
        cli,
        [
            "diagnose",
            str(tmp_path / "fakes.npy"),
            "--ref",
            str(tmp_path / "pfid.npz"),
            "--k",
            "2",
            "--weights",
            str(inception_weights),
            "--workers",
            "0",
            "--batch-size",
            "4",
            "--json",
            "-",
        ],
    )
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "no per-image features" in r.stderr, r.output
