"""Records: Result.to_dict / to_json / table, and the provenance helpers, on hand-made values.

The end-to-end records (from a real evaluation) are checked in test_cli_eval.py; here each
piece of the format is pinned without running Inception.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from ganbench import __version__
from ganbench.metrics.base import MetricValue
from ganbench.records import NOT_OFFICIAL, RECORD_FORMAT, Result, environment, git_commit

SHA = "ab" * 32


def make_result(official: bool = False) -> Result:
    metrics = {
        "fid": MetricValue(12.5, ci=(10.25, 14.75), ci_method="bias-corrected percentile bootstrap"),
        "is": MetricValue(3.25, std=0.125, std_of="10 splits"),
        "kid": MetricValue(0.0125, std=0.001, std_of="100 subsets", ci=(0.01, 0.015), extra={"subsets": 100}),
    }
    provenance = {
        **environment("cpu"),
        "weights": {"path": "/w.pth", "sha256": SHA, "official": official},
        "resize": "tf-legacy",
        "options": {"confidence": 0.9},
        "samples": {"kind": "folder", "path": "/data/samples", "count": 500},
        "reference": {"name": "cifar10", "count": 1000, "cached": True, "content_sha256": "cd" * 32},
        "seeds": {"bootstrap": 3},
        "seconds": {"setup": 0.5, "sample_features": 2.0},
    }
    warnings = [] if official else [NOT_OFFICIAL.format(sha=SHA[:16])]
    return Result(metrics, provenance, warnings)


def test_to_dict_holds_values_uncertainties_and_provenance():
    r = make_result()
    d = r.to_dict()
    assert d["ganbench_record"] == RECORD_FORMAT
    assert d["metrics"]["fid"] == {
        "value": 12.5,
        "std": None,
        "std_of": None,
        "ci": [10.25, 14.75],
        "ci_method": "bias-corrected percentile bootstrap",
        "extra": {},
    }
    assert d["metrics"]["is"]["std"] == 0.125 and d["metrics"]["is"]["std_of"] == "10 splits"
    assert d["metrics"]["kid"]["extra"] == {"subsets": 100}
    assert d["provenance"]["weights"]["official"] is False
    assert "NOT the official" in d["warnings"][0]
    assert r["fid"] == 12.5 and r["kid"] == 0.0125


def test_to_json_round_trips_and_writes_atomically(tmp_path):
    r = make_result()
    path = tmp_path / "new" / "nested" / "record.json"  # missing folders are created (like `stats -o`)
    text = r.to_json(path)
    assert path.read_text() == text + "\n"
    back = json.loads(path.read_text())
    assert back == json.loads(json.dumps(r.to_dict()))
    assert back["metrics"]["fid"]["ci"] == [10.25, 14.75]
    assert sorted(p.name for p in path.parent.iterdir()) == ["record.json"]  # no .part left beside it


def test_to_json_failure_leaves_no_file(tmp_path, monkeypatch):
    r = make_result()
    r.provenance["unserialisable"] = object()  # default=str copes: still written
    assert "object object" in r.to_json(tmp_path / "ok.json")

    def boom(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("pathlib.Path.write_text", boom)
    with pytest.raises(OSError):
        r.to_json(tmp_path / "fail.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json"]


def test_table_says_weights_are_not_official():
    text = make_result().table()
    lines = text.splitlines()
    assert lines[0].split() == ["metric", "value", "spread", "CI"]
    fid_row = next(line for line in lines if line.startswith("fid"))
    assert "12.5" in fid_row and "[10.25, 14.75] 90%" in fid_row
    is_row = next(line for line in lines if line.startswith("is "))
    assert "± 0.125 (10 splits)" in is_row
    assert "weights: NOT OFFICIAL sha256 abababababababab..." in text
    assert "reference: cifar10 (1000)" in text and "samples: 500 (/data/samples)" in text
    assert any(line.startswith("warning: NOT the official FID Inception weights") for line in lines)


def test_table_with_official_weights():
    text = make_result(official=True).table()
    assert "weights: official sha256" in text and "NOT" not in text


def test_environment_names_versions_and_device():
    import numpy
    import torch

    env = environment("cpu")
    assert env["ganbench"] == __version__
    assert env["torch"] == torch.__version__ and env["numpy"] == numpy.__version__
    assert env["device"] == "cpu" and env["threads"] >= 1
    assert env["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", env["git_commit"])


def test_git_commit_in_and_outside_a_checkout(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "project"
    pkg = repo / ".venv" / "site-packages" / "ganbench"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (repo / "README").write_text("a user's project that happens to hold a venv\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", "README")
    git("commit", "-q", "-m", "x")
    # installed inside someone else's repository, untracked: that commit is not ganbench's
    assert git_commit(pkg) is None
    git("add", ".venv")
    git("commit", "-q", "-m", "y")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_commit(pkg) == head
    assert git_commit(tmp_path / "not-a-repo") is None  # not a checkout at all (folder missing too)

    def no_git(*a, **k):
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)
    assert git_commit(pkg) is None


def test_comparable_refuses_lpips_and_ppl_records_made_with_other_lpips_networks():
    from ganbench.records import comparable

    def prov(metrics, backbone):
        return {
            "samples": {"count": 10},
            "reference": {"name": "t", "count": 10, "content_sha256": "c"},
            "metrics": metrics,
            "lpips": {"net": "vgg", "backbone": {"sha256": backbone * 64}, "lin": {"sha256": "1" * 64}},
        }

    assert comparable(prov(["lpips"], "a"), prov(["lpips"], "a")) == []
    (reason,) = comparable(prov(["lpips", "psnr"], "a"), prov(["lpips", "psnr"], "b"))
    assert reason.startswith("LPIPS networks differ (vgg aaaa") and reason.endswith("lpips read them")
    assert comparable(prov(["ppl"], "a"), prov(["ppl"], "b"))  # ppl reads the same network
    assert comparable(prov(["psnr"], "a"), prov(["psnr"], "b")) == []  # no shared metric reads it
