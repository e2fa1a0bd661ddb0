"""The gates say what they are doing and refuse early (issue 20): progress over bootstrap replicates
inside a metric, and every sample-count precondition checked before any weights load or extraction,
in eval, compare, check and diagnose alike."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.features.featureset import FeatureSet
from ganbench.gates.paired import paired


@pytest.fixture()
def sets(tmp_path, cifar_excerpt):
    for name, images in (
        ("a", cifar_excerpt["test_images"][:100]),
        ("b", cifar_excerpt["test_images"][100:200]),
        ("ref", cifar_excerpt["train_images"][:100]),
    ):
        np.savez(tmp_path / f"{name}.npz", images)
    return tmp_path


@pytest.fixture()
def no_extraction(monkeypatch):
    """Fail the test if any extractor is built or any feature extracted."""
    from ganbench import engine, sides
    from ganbench.diagnose import run as diagnose_run
    from ganbench.gates import models

    def fail(*a, **k):
        pytest.fail("weights were loaded or features extracted before the sample counts were checked")

    for mod, name in (
        (models, "build_extractors"),
        (engine, "build_extractors"),
        (sides, "get_features"),
        (diagnose_run, "_make_extractor"),
    ):
        monkeypatch.setattr(mod, name, fail)


@pytest.mark.parametrize("command", ["compare", "check"])
def test_gates_refuse_a_kid_subset_larger_than_the_sets_before_any_extraction(command, sets, no_extraction):
    args = (
        ["compare", "a.npz", "b.npz"]
        if command == "compare"
        else ["check", "b.npz", "--baseline", "a.npz", "--max-kid-increase", "0.01"]
    )
    res = CliRunner().invoke(
        cli,
        [
            *args[:1],
            *[str(sets / a) if a.endswith(".npz") else a for a in args[1:]],
            "--ref",
            str(sets / "ref.npz"),
            "--metrics" if command == "compare" else "-O",
            "fid,kid" if command == "compare" else "kid_subsets=100",
        ]
        + (["--max-fid-increase", "1"] if command == "check" else []),
    )
    assert res.exit_code == 2, res.output
    assert "kid needs at least 1000 generated samples, got 100" in res.output
    assert "-O kid_subset_size=N" in res.output and "--kid-subset-size" not in res.output  # what the gates take


def test_gates_read_multi_array_npz_by_key(sets, cifar_excerpt, no_extraction):
    np.savez(sets / "multi.npz", samples=cifar_excerpt["test_images"][:100], other=cifar_excerpt["test_images"][:5])
    np.savez(sets / "refmulti.npz", images=cifar_excerpt["train_images"][:100], labels=np.zeros(100, np.int64))
    res = CliRunner().invoke(
        cli,
        [
            "compare",
            str(sets / "multi.npz"),
            str(sets / "a.npz"),
            "--ref",
            str(sets / "refmulti.npz"),
            "--metrics",
            "kid",
        ],
    )
    assert res.exit_code == 2 and "--key NAME" in res.output
    res = CliRunner().invoke(
        cli,
        [
            "compare",
            str(sets / "multi.npz"),
            str(sets / "multi.npz"),
            "--key",
            "samples",
            "--ref",
            str(sets / "refmulti.npz"),
            "--ref-key",
            "images",
            "--metrics",
            "kid",
        ],
    )
    assert res.exit_code == 2 and "kid needs at least 1000 generated samples, got 100" in res.output  # read by key


def test_eval_and_diagnose_check_counts_before_any_extraction(sets, no_extraction):
    res = CliRunner().invoke(
        cli, ["eval", str(sets / "a.npz"), "--ref", str(sets / "ref.npz"), "--metrics", "is", "--is-splits", "60"]
    )
    assert res.exit_code == 2 and "is needs at least 120 generated samples" in res.output
    assert "--is-splits" in res.output
    res = CliRunner().invoke(cli, ["eval", str(sets / "a.npz"), "--ref", str(sets / "ref.npz"), "--metrics", "fid-inf"])
    assert res.exit_code == 2 and "fid-inf needs at least" in res.output
    np.savez(sets / "few.npz", np.zeros((3, 32, 32, 3), np.uint8))
    res = CliRunner().invoke(cli, ["diagnose", str(sets / "few.npz"), "--ref", str(sets / "ref.npz"), "--k", "10"])
    assert res.exit_code == 2 and "need at least" in res.output and "got 3" in res.output


def test_paired_bootstrap_reports_progress_every_replicate_inside_a_metric():
    rng = np.random.default_rng(0)
    feats = [
        {
            "inception-v3-compat": FeatureSet(
                rng.normal(size=(60, 8)).astype(np.float32), rng.normal(size=(60, 10)).astype(np.float32)
            )
        }
        for _ in range(2)
    ]
    ref = {"inception-v3-compat": FeatureSet(rng.normal(size=(60, 8)).astype(np.float32))}
    calls = []
    paired(
        ["fid", "is", "kid"],
        feats,
        ref,
        {"kid_subset_size": 20, "kid_subsets": 5, "is_splits": 2},
        15,
        0,
        progress=calls.append,
    )
    assert sum(calls) == 3 * 15
    assert calls[:15] == [1] * 15  # FID: one tick per replicate, not one per metric
