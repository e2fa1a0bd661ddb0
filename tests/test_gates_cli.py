"""`ganbench compare`, `ganbench check`, `assert_no_regression` and the example CI workflow, end to end
(issue 13), on real CIFAR-10 images through the random-init Inception (NOT the official weights).

Sets: the reference is 400 train images; the baseline A and the candidate B are two disjoint draws of
200 test images (one distribution); DEG is B blurred (sigma 2.5) with noise (sd 40). Their features are
extracted once for the module (cached, so the CLI runs read them from the cache); the gates run on
them with 100 bootstrap replicates. KID needs 1,000 samples per subset by default: here subsets of 100.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli

KID = ["-O", "kid_subset_size=100"]
BOOT = ["--bootstrap", "100"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, cifar_excerpt, inception_weights):
    from scipy.ndimage import gaussian_filter

    import ganbench

    root = tmp_path_factory.mktemp("gates")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANBENCH_HOME", str(root / "home"))
        mp.setenv("GANBENCH_QUIET", "1")
        tr, te = cifar_excerpt["train_images"], cifar_excerpt["test_images"]
        noisy = gaussian_filter(te[200:400].astype(np.float32), sigma=(0, 2.5, 2.5, 0))
        noisy += np.random.default_rng(0).normal(0, 40, noisy.shape)
        sets = {
            "ref": tr[:400],
            "a": te[:200],
            "b": te[200:400],
            "deg": np.clip(np.round(noisy), 0, 255).astype(np.uint8),
        }
        for name, images in sets.items():
            np.savez(root / f"{name}.npz", images)
            ganbench.compute_stats(root / f"{name}.npz", root / f"{name}.feat.npz", weights=inception_weights)
        yield root


@pytest.fixture()
def run(data, inception_weights, monkeypatch):
    monkeypatch.setenv("GANBENCH_HOME", str(data / "home"))
    monkeypatch.chdir(data)

    def invoke(*args):
        return CliRunner().invoke(cli, [*map(str, args), "--weights", str(inception_weights)])

    return invoke


def test_check_passes_on_two_draws_of_the_same_images(run, data):
    out = run(
        "check",
        "b.npz",
        "--ref",
        "ref.feat.npz",
        "--baseline",
        "a.npz",
        "--max-fid-increase",
        0,
        "--max-kid-increase",
        0,
        "--max-decrease",
        "recall=0",
        "--min-precision",
        0.5,
        *KID,
        *BOOT,
        "--junit",
        "pass.xml",
        "--summary",
        "pass.md",
    )
    assert out.exit_code == 0, out.output
    lines = [x for x in out.stdout.splitlines() if x.startswith(("PASS", "FAIL"))]
    assert len(lines) == 4 and all(x.startswith("PASS") for x in lines)
    assert "95% CI [" in lines[0] and lines[0].startswith("PASS fid ")
    assert "### ganbench check: PASS" in (data / "pass.md").read_text()
    assert "note: NOT the official FID Inception weights" in out.stdout  # random-init weights, said so


def test_check_fails_on_degraded_images_naming_the_metric(run, data):
    import xml.etree.ElementTree as ET

    out = run(
        "check",
        "deg.npz",
        "--ref",
        "ref.feat.npz",
        "--baseline",
        "a.npz",
        "--max-fid-increase",
        1.0,
        "--max-kid-increase",
        0.01,
        *KID,
        *BOOT,
        "--junit",
        "fail.xml",
        "--summary",
        "fail.md",
        "--json",
        "gate.json",
    )
    assert out.exit_code == 1, out.output
    assert "FAIL fid" in out.stdout and "FAIL kid" in out.stdout
    suite = ET.parse(data / "fail.xml").getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert [c.find("failure").get("message").split()[1] for c in suite.iter("testcase")] == ["fid", "kid"]
    record = json.loads((data / "gate.json").read_text())
    assert record["passed"] is False and record["limits"][0]["ci"][0] > 1.0


def test_check_fails_when_a_third_of_the_modes_are_gone(inception_weights):
    """Nine well-separated modes in feature space; the candidate keeps six: recall and coverage fall."""
    from ganbench.features.featureset import FeatureSet
    from ganbench.gates import check, make_limit

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 6, size=(9, 16))

    def draw(n, modes):
        return FeatureSet((centres[rng.choice(modes, n)] + rng.normal(size=(n, 16))).astype(np.float32))

    ref, base, cand = draw(900, range(9)), draw(900, range(9)), draw(900, range(6))
    limits = [make_limit(m, "decrease", 0.02, "--max-decrease") for m in ("recall", "coverage")]
    limits.append(make_limit("precision", "decrease", 0.02, "--max-decrease"))
    result = check(cand, ref, base, limits, bootstrap=100, weights=inception_weights)
    assert [o.passed for o in result.outcomes] == [False, False, True]  # what is left is still on the manifold
    assert result.outcomes[0].line.startswith("FAIL recall")


def test_compare_three_sample_sets_gives_the_table_and_p_values(run):
    out = run(
        "compare",
        "a.npz",
        "b.npz",
        "deg.npz",
        "--ref",
        "ref.feat.npz",
        "--metrics",
        "fid,kid",
        *KID,
        *BOOT,
        "--json",
        "-",
    )
    assert out.exit_code == 0, out.output
    res = json.loads(out.stdout)
    assert [m["label"] for m in res["models"]] == ["a.npz", "b.npz", "deg.npz"]
    fid = {p["model"]: p for p in res["differences"]["fid"]}
    assert fid["b.npz"]["p"] > 0.05 and fid["deg.npz"]["p"] < 0.05
    assert fid["deg.npz"]["ci"][0] > 0 > fid["b.npz"]["ci"][0]
    md = run(
        "compare", "a.npz", "b.npz", "deg.npz", "--ref", "ref.feat.npz", "--metrics", "fid", *BOOT, "--format", "md"
    )
    assert "| vs a.npz | metric | difference | 95% CI | p |" in md.stdout


def test_records_with_features_compare_paired_and_bare_records_approximately(run, data):
    for name, extra in (("a", ["--save-features", "a.rec.npz"]), ("b", []), ("deg", ["--save-features", "d.rec.npz"])):
        out = run(
            "eval",
            f"{name}.feat.npz",
            "--ref",
            "ref.feat.npz",
            "--metrics",
            "fid",
            "--bootstrap",
            50,
            *extra,
            "--json",
            f"{name}.json",
        )
        assert out.exit_code == 0, out.output
    paired = run("compare", "a.json", "deg.json", "--ref", "ref.feat.npz", "--metrics", "fid", *BOOT, "--json", "-")
    assert paired.exit_code == 0, paired.output
    assert json.loads(paired.stdout)["method"].startswith("paired bootstrap")
    approx = run("compare", "a.json", "b.json", "--ref", "ref.feat.npz", "--metrics", "fid", *BOOT)
    assert approx.exit_code == 0, approx.output
    assert "note: approximate: b.json carries no features" in approx.stdout
    gate = run("check", "deg.npz", "--ref", "ref.feat.npz", "--baseline", "a.json", "--max-fid-increase", 1, *BOOT)
    assert gate.exit_code == 1 and "FAIL fid" in gate.stdout


@pytest.mark.parametrize(
    "case", ["missing", "bare", "other-n", "other-split", "other-weights", "unknown-metric", "direction"]
)
def test_bad_baselines_and_limits_are_one_line_errors(run, data, case):
    if case in ("bare", "other-weights") and not (data / "a.json").exists():
        run(
            "eval",
            "a.feat.npz",
            "--ref",
            "ref.feat.npz",
            "--metrics",
            "fid",
            "--save-features",
            "a.rec.npz",
            "--json",
            "a.json",
        )
        run("eval", "b.feat.npz", "--ref", "ref.feat.npz", "--metrics", "fid", "--json", "b.json")
    if case == "other-n":  # the same features, 150 of the 200 samples
        from ganbench.features.featureset import FeatureSet
        from ganbench.features.files import load_stats_file, write_stats_file

        fs = load_stats_file(data / "a.feat.npz")
        write_stats_file(FeatureSet(fs.pool[:150], fs.logits[:150], meta=fs.meta), data / "a150.feat.npz")
    if case == "other-split":  # scored against other reference images (as a test split would be)
        run(
            "eval",
            "a.feat.npz",
            "--ref",
            "b.feat.npz",
            "--metrics",
            "fid",
            "--save-features",
            "a.split.npz",
            "--json",
            "a-split.json",
        )
    if case == "other-weights":
        rec = json.loads((data / "a.json").read_text())
        rec["provenance"]["weights"]["sha256"] = "0" * 64
        (data / "a-other.json").write_text(json.dumps(rec))
    baseline, limit, want = {
        "missing": ("nope.npz", ["--max-fid-increase", 1], "nope.npz"),
        "bare": ("b.json", ["--max-fid-increase", 1], "carries no features"),
        "other-n": ("a150.feat.npz", ["--max-fid-increase", 1], "sample counts differ"),
        "other-split": ("a-split.json", ["--max-fid-increase", 1], "references differ"),
        "other-weights": ("a-other.json", ["--max-fid-increase", 1], "extractor weights differ"),
        "unknown-metric": ("a.npz", ["--max-increase", "fidd=1"], "unknown metric 'fidd'"),
        "direction": ("a.npz", ["--max-increase", "precision=0.1"], "--max-decrease precision=0.1"),
    }[case]
    out = run("check", "b.npz", "--ref", "ref.feat.npz", "--baseline", baseline, *limit, *BOOT)
    assert out.exit_code == 2, out.output
    errors = [x for x in out.output.splitlines() if x.startswith("ganbench: error:")]
    assert len(errors) == 1 and want in errors[0] and "Traceback" not in out.output


def test_assert_no_regression_raises_with_the_table(data, inception_weights, monkeypatch):
    from ganbench.testing import assert_no_regression

    monkeypatch.setenv("GANBENCH_HOME", str(data / "home"))
    kw = dict(ref=data / "ref.feat.npz", baseline=data / "a.npz", bootstrap=100, weights=inception_weights)
    ok = assert_no_regression(data / "b.npz", max_fid_increase=0.0, **kw)
    assert ok.passed
    with pytest.raises(AssertionError) as e:
        assert_no_regression(data / "deg.npz", max_fid_increase=1.0, min_precision=0.0, **kw)
    assert "FAIL fid" in str(e.value) and "PASS precision" in str(e.value)


def test_the_example_ci_workflow_runs_as_written(data, inception_weights, tmp_path):
    """The workflow's steps with an `id`, run by bash with its env (the reference and samples are
    this test's files); the cache folder starts as a copy of the module's, as actions/cache restores it."""
    import yaml

    flow = yaml.safe_load((Path(__file__).parents[1] / "examples" / "ci" / "quality-gate.yml").read_text())
    steps = {s["id"]: s["run"] for s in flow["jobs"]["gate"]["steps"] if "id" in s}
    assert list(steps) == ["ref-stats", "gate"]
    shutil.copytree(data / "home", tmp_path / ".ganbench")
    shutil.copy(data / "ref.npz", tmp_path / "reference.npz")
    shutil.copy(data / "b.npz", tmp_path / "samples.npz")
    env = {
        **os.environ,
        **flow["env"],
        "REFERENCE": "reference.npz",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GANBENCH_INCEPTION_WEIGHTS": str(inception_weights),
        "GANBENCH_QUIET": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run(["bash", "-ec", steps["ref-stats"]], cwd=tmp_path, env=env, check=True)
    (tmp_path / "baseline").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ganbench",
            "eval",
            str(data / "a.npz"),
            "--ref",
            ".ganbench/reference.ganbench.npz",
            "--metrics",
            "fid,precision",
            "--save-features",
            "baseline/features.npz",
            "--json",
            "baseline/record.json",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    gate = subprocess.run(["bash", "-ec", steps["gate"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert gate.returncode == 0, gate.stderr
    assert "PASS fid" in gate.stdout and "PASS precision" in gate.stdout
    assert "ganbench check: PASS" in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "gate.json").read_text())["passed"] is True
    assert (tmp_path / "gate-report.xml").read_text().startswith("<?xml")


def test_a_run_folder_is_sampled_and_compared(run, data, tmp_path):
    """A `ganbench train` run is a model too: sampled (--n, --sample-seed) and compared like samples."""
    import ganbench

    np.savez(tmp_path / "train.npz", np.load(data / "a.npz")["arr_0"][:64])
    ganbench.train(
        "dcgan", out=tmp_path / "run", data=tmp_path / "train.npz", steps=2, seed=0, checkpoint_every=2, progress=False
    )
    out = run(
        "compare",
        "a.npz",
        tmp_path / "run",
        "--ref",
        "ref.feat.npz",
        "--metrics",
        "fid",
        "--n",
        200,
        "--bootstrap",
        20,
        "--json",
        "-",
    )
    assert out.exit_code == 0, out.output
    res = json.loads(out.stdout)
    assert res["models"][1]["kind"] == "run" and res["models"][1]["n"] == 200
    assert res["differences"]["fid"][0]["diff"] > 0  # two steps of training: far worse than real images
