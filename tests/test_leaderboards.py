"""Leaderboards (issue 12): the committed boards rebuild byte for byte from their committed records and
`verify` passes on them; `verify` fails naming the row on a copy with one record's number or one sample
file altered; records under another protocol never reach the official table; the statistics, the LaTeX
table, the DataFrame and the CLI."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench.cli import cli
from ganbench.leaderboards import load
from ganbench.leaderboards.build import build, figure_files
from ganbench.leaderboards.rows import Entry, Row, set_aside_reason, summarise
from ganbench.leaderboards.verify import verify

BOARDS = Path(__file__).resolve().parents[1] / "leaderboards"
TOY = ["ring", "grid", "stacked-digits"]


@pytest.mark.parametrize("name", TOY + ["cifar10", "cifar10-1k", "image-to-image"])
def test_committed_board_rebuilds_byte_identical_and_verifies(name):
    board = BOARDS / name
    first, second = build(None, board, write=False), build(None, board, write=False)
    assert first == second
    same_matplotlib = (
        json.loads(first["board.json"])["figures_made_with"]
        == json.loads((board / "board.json").read_text())["figures_made_with"]
    )
    if not same_matplotlib:
        first["board.json"] = first["board.json"].replace(
            json.loads(first["board.json"])["figures_made_with"].encode(),
            json.loads((board / "board.json").read_text())["figures_made_with"].encode(),
        )
    for fname, payload in first.items():
        if same_matplotlib or fname not in figure_files(first):  # PNG bytes are stable within one release
            assert (board / fname).read_bytes() == payload, f"{board / fname} is not what its records build"
    v = verify(board)
    assert v.ok, v.problems
    if name in TOY:  # every toy record's samples are committed and re-scored
        assert len(v.checked) == len(json.loads((board / "board.json").read_text())["records"]) and not v.not_checked


def test_toy_boards_have_three_training_seeds_per_row():
    for name in TOY:
        rows = json.loads((BOARDS / name / "board.json").read_text())["rows"]
        assert rows and all(len(r["seeds"]) >= 3 for r in rows), name


@pytest.fixture()
def ring_copy(tmp_path):
    dst = tmp_path / "ring"
    shutil.copytree(BOARDS / "ring", dst)
    return dst


def test_verify_names_the_row_when_a_record_value_moved(ring_copy):
    rec_path = sorted((ring_copy / "records").glob("*.json"))[0]
    rec = json.loads(rec_path.read_text())
    rec["metrics"]["high_quality_fraction"]["value"] += 0.01
    rec_path.write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")
    out = CliRunner().invoke(cli, ["leaderboard", "verify", str(ring_copy)])
    assert out.exit_code == 1
    label = rec["run"]["setting"]
    assert f"row {label!r} ({rec_path.name}): high_quality_fraction moved" in out.stdout
    assert f"record {rec_path.name} changed" in out.stdout


def test_verify_names_the_row_when_a_sample_file_changed(ring_copy):
    # a record with high-quality samples to lose (moving samples off the modes changes nothing where there are none)
    rec_path = [
        p
        for p in sorted((ring_copy / "records").glob("*.json"))
        if json.loads(p.read_text())["metrics"]["high_quality_fraction"]["value"] > 0.05
    ][-1]
    rec = json.loads(rec_path.read_text())
    spath = ring_copy / "records" / rec["provenance"]["samples"]["path"]
    with np.load(spath) as z:
        pts = z["samples"].copy()
    pts[: len(pts) // 2] = 0.0  # half the samples moved to the centre: off every mode
    np.savez_compressed(spath, samples=pts)
    v = verify(ring_copy)
    assert not v.ok
    assert any(f"row {rec['run']['setting']!r} ({rec_path.name}): samples file" in p for p in v.problems)
    assert any(f"({rec_path.name}): high_quality_fraction moved" in p for p in v.problems)


def _image_record(n=50000, official=True, fid=20.0, seed=0, baseline="dcgan", selection="final"):
    return {
        "ganbench_record": 2,
        "record_kind": "eval",
        "metrics": {
            "fid": {
                "value": fid,
                "std": None,
                "std_of": None,
                "ci": [fid - 0.5, fid + 0.5],
                "ci_method": "bootstrap",
                "extra": {},
            }
        },
        "protocol": {
            "n_generated": n,
            "n_reference": 50000,
            "reference": {"name": "cifar10", "content_sha256": None, "file_sha256": None},
            "extractor": "inception-v3-compat",
            "weights_sha256": "ab" * 32,
            "weights_official": official,
            "resize": "tf-legacy",
            "dtype": "float32",
            "metrics": ["fid"],
            "options": {},
        },
        "run": {
            "baseline": baseline,
            "config_hash": "cd" * 32,
            "step": 100,
            "training_seed": seed,
            "sampling_seed": 0,
            "checkpoint_sha256": "ef" * 32,
            "ema": False,
            "checkpoint_selection": selection,
            "n": n,
        },
        "warnings": [],
        "provenance": {"samples": {"count": n}},
    }


def test_not_official_weights_or_another_n_never_reach_the_official_table(tmp_path):
    board = tmp_path / "b"
    (board / "records").mkdir(parents=True)
    shutil.copy(BOARDS / "cifar10" / "board.toml", board / "board.toml")
    (board / "board.toml").write_text((board / "board.toml").read_text().replace('reported = "reported.toml"\n', ""))
    recs = {
        "dcgan-s0.json": _image_record(seed=0, fid=20.0),
        "dcgan-s1.json": _image_record(seed=1, fid=22.0),
        "dcgan-10k.json": _image_record(n=10000, fid=30.0),
        "dcgan-random.json": _image_record(official=False, fid=1.0),
    }
    for name, rec in recs.items():
        (board / "records" / name).write_text(json.dumps(rec))
    data = json.loads(build(None, board)["board.json"])
    assert [r["label"] for r in data["rows"]] == ["dcgan"]
    assert sorted(e["record"] for e in data["rows"][0]["records"]) == ["dcgan-s0.json", "dcgan-s1.json"]
    reasons = {s["record"]: s["reason"] for s in data["set_aside"]}
    assert reasons == {
        "dcgan-10k.json": "10000 generated samples; the protocol is 50000",
        "dcgan-random.json": "NOT the official weights: not comparable with published numbers",
    }
    readme = (board / "README.md").read_text()
    assert "2 record(s) set aside" in readme and "dcgan-random.json" in readme.split("## Set aside")[1]


def test_row_statistics_known_answers():
    entries = [Entry(f"r{s}.json", "0", _image_record(seed=s, fid=v)) for s, v in ((0, 1.0), (1, 2.0), (2, 3.0))]
    row = Row("dcgan", "dcgan", {}, "final", entries)
    summarise(row, ["fid"])
    c = row.cells["fid"]
    half = 4.302652729911275 / np.sqrt(3)  # t(0.975, 2) * sd 1 / sqrt(3)
    assert c["mean"] == pytest.approx(2.0) and (c["lo"], c["hi"]) == pytest.approx((2 - half, 2 + half))
    assert c["interval"] == "across 3 training seeds (t, 95%)"
    summarise(row, ["fid"], bounds={"fid": [0, 100]})
    assert row.cells["fid"]["lo"] == 0.0  # FID is never negative
    one = Row("dcgan", "dcgan", {}, "final", entries[:1])
    summarise(one, ["fid"])
    assert one.cells["fid"]["interval"] == "evaluation (1 training seed)" and one.cells["fid"]["lo"] == 0.5
    best = _image_record(selection="best")
    assert set_aside_reason(best, {"n_generated": 50000}) is None
    from ganbench.leaderboards.rows import group

    assert group([Entry("x.json", "0", best)])[0].flagged  # selected on the reference set: flagged


def test_latex_dataframe_and_cli(ring_copy):
    out = CliRunner().invoke(
        cli, ["leaderboard", "build", str(ring_copy / "records"), "--out", str(ring_copy), "--format", "latex"]
    )
    assert out.exit_code == 0, out.output
    assert "\\toprule" in out.stdout and "\\bottomrule" in out.stdout and "(reported)" in out.stdout
    df = load(ring_copy)
    assert set(df["kind"]) >= {"reproduced", "reported"}
    repro = df[df["kind"] == "reproduced"]
    assert (repro["seeds"] >= 3).all() and {"modes_covered_lo", "modes_covered_interval"} <= set(df.columns)
    assert (repro["modes_covered_lo"] >= 0).all()  # clipped to the metric's range


@pytest.mark.parametrize("case", ["no-definition", "not-a-record", "missing-folder"])
def test_bad_input_is_one_line(tmp_path, ring_copy, case):
    if case == "no-definition":
        args = ["leaderboard", "build", str(ring_copy / "records"), "--out", str(tmp_path / "empty")]
        want = "has no board.toml"
    elif case == "not-a-record":
        (ring_copy / "records" / "zz.json").write_text(json.dumps({"hello": 1}))
        args, want = ["leaderboard", "build", "--out", str(ring_copy)], "is not an evaluation record"
    else:
        args, want = ["leaderboard", "build", str(tmp_path / "nope"), "--out", str(ring_copy)], "no such record"
    before = (ring_copy / "README.md").read_bytes()
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2 and want in out.output and "Traceback" not in out.output
    assert (ring_copy / "README.md").read_bytes() == before  # nothing half-written


def test_toy_scores_equal_the_benchmarks_own():
    from ganbench import toydata
    from ganbench.leaderboards.toyscore import per_sample, scores
    from ganbench.train.evaluation import modes_reached

    for bench in ("ring", "grid"):
        x = toydata.make(bench, 2500, seed=1)[0][:1800]
        want, got = toydata.score(bench, x), scores(per_sample(bench, x))
        assert {k: want[k] for k in ("modes_covered", "high_quality_fraction", "reverse_kl")} == {
            k: got[k] for k in ("modes_covered", "high_quality_fraction", "reverse_kl")
        }
        assert got["modes_reached"] == modes_reached(x, bench)
    x = toydata.make("stacked-digits", 800, seed=2)[0]
    want, got = toydata.score("stacked-digits", x), scores(per_sample("stacked-digits", x))
    assert (want["modes_hit"], want["kl_to_uniform"]) == (got["modes_hit"], got["kl_to_uniform"])
    from ganbench.leaderboards.toyscore import _reference_moments
    from ganbench.metrics.fid import frechet_distance

    px = x.reshape(len(x), -1).astype(np.float64) / 255.0
    mu, sigma, _b = _reference_moments()
    # both covariances are singular (border pixels never vary): each route keeps ~sqrt(1e-16) per zero
    # eigenvalue, so they agree to ~1e-7 absolute, not to rounding
    assert got["fd_pixels"] == pytest.approx(
        frechet_distance(px.mean(0), np.cov(px, rowvar=False), mu, sigma), abs=1e-6
    )


def test_toy_record_matches_the_record_schema():
    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[1] / "ganbench" / "schemas" / "record.schema.json").read_text()
    )
    rec = json.loads(sorted((BOARDS / "ring" / "records").glob("*.json"))[0].read_text())
    jsonschema.validate(copy.deepcopy(rec), schema)
