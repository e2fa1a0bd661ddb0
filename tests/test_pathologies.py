"""The pathologies board (issue 27 sec. 3): study records made here by the real measuring code at toy
sizes (2 seeds, a few steps, a 96-image data set) build into a board with the committed board.toml;
the build is byte-identical twice; `verify` passes, and fails naming the record when one is altered,
missing or not on the board. The Swiss roll data set, and its lack of a mode score."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ganbench import toydata
from ganbench.cli import cli
from ganbench.errors import GanbenchError
from ganbench.leaderboards import pathologies as P
from ganbench.leaderboards.build import build
from ganbench.leaderboards.verify import verify

BOARD = Path(__file__).resolve().parents[1] / "leaderboards" / "pathologies"


def _write(rec: dict, out: Path) -> None:
    name = f"{rec['study']}_{rec['setting'].replace(' ', '-').replace('=', '')}_seed{rec['seed']}.json"
    (out / name).write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")


def _copy(board: Path, tmp_path: Path) -> Path:
    """A copy of a board folder with the ring board its [[link]] reads beside it."""
    shutil.copytree(board.parent / "ring", tmp_path / "ring")
    shutil.copytree(board, tmp_path / "pathologies")
    return tmp_path / "pathologies"


@pytest.fixture(scope="module")
def tiny_board(tmp_path_factory):
    """A board folder: the committed board.toml and records from 2 seeds of each study at toy sizes."""
    root = tmp_path_factory.mktemp("patho")
    rng = np.random.default_rng(0)
    data = root / "tiny.npz"
    np.savez(data, train_images=rng.integers(0, 256, (96, 32, 32, 3), dtype=np.uint8))
    board = root / "pathologies"
    (board / "records").mkdir(parents=True)
    shutil.copy(BOARD / "board.toml", board / "board.toml")
    (root / "ring").mkdir()  # the board its [[link]] reads
    shutil.copy(BOARD.parent / "ring" / "board.json", root / "ring" / "board.json")
    for seed in (0, 1):
        for rec in P.vanishing(seed, epochs=(1,), data=str(data), d_steps=4, every=2, batch=8):
            _write(rec, board / "records")
        for setting in ("clip c=0.01", "gradient penalty (lambda 10)"):
            _write(P.clipping(seed, setting, steps=2, every=1, batch=16, train_batch=16), board / "records")
    build(None, board)
    return board


def test_study_records_hold_the_measured_curves(tiny_board):
    recs = [json.loads(p.read_text()) for p in sorted((tiny_board / "records").glob("*.json"))]
    assert len(recs) == 6 and {r["record_kind"] for r in recs} == {"study"}
    van = next(r for r in recs if r["study"] == "vanishing")
    assert van["x"]["values"] == [0, 2, 4] and van["config"]["g_steps"] == 16
    for k in ("g_grad_minimax", "g_grad_bce", "d_loss", "d_accuracy"):
        assert len(van["curves"][k]) == 3 and all(np.isfinite(van["curves"][k]))
    clip = next(r for r in recs if r["setting"] == "clip c=0.01")
    assert clip["x"]["values"] == [0, 1, 2]
    assert [len(v) for v in clip["curves"]["act_grad"]] == [11] * 3  # 11 hidden ReLU layers
    assert [len(v) for v in clip["curves"]["weight_grad"]] == [12] * 3  # and the output layer
    assert clip["config"]["train"]["batch_size"] == 16 and clip["config"]["train"]["n_dis"] == 5
    assert clip["config"]["train"]["weight_clip"] == 0.01 and clip["config"]["train"]["optimizer"] == "rmsprop"
    # the same seed measures the same numbers
    again = P.clipping(0, "clip c=0.01", steps=2, every=1, batch=16, train_batch=16)
    first = next(r for r in recs if r["setting"] == "clip c=0.01" and r["seed"] == 0)
    assert again["curves"] == first["curves"]


def test_board_builds_byte_identical_and_verifies(tiny_board):
    first = build(None, tiny_board, write=False)  # the fixture built and wrote it once
    for name in (
        "README.md",
        "board.csv",
        "board.json",
        "vanishing_g_grad_minimax.png",
        "clipping_activation_grads.png",
    ):
        assert name in first and (tiny_board / name).read_bytes() == first[name]
    readme = first["README.md"].decode()
    assert "Arjovsky & Bottou" in readme and "Gulrajani" in readme and "../ring/README.md" in readme
    assert "seeds 0, 1" in readme
    rows = list(csv_rows(first["board.csv"]))
    assert {(r["study"], r["setting"]) for r in rows} >= {("vanishing", "1 epoch"), ("clipping", "clip c=0.01")}
    out = CliRunner().invoke(cli, ["leaderboard", "verify", str(tiny_board)])
    assert out.exit_code == 0 and "OK" in out.stdout, out.output
    from ganbench.leaderboards import load

    df = load(tiny_board)
    assert set(df["study"]) == {"vanishing", "clipping"} and set(df["seeds"]) == {2}


def test_committed_board_verifies_and_loads():
    if not (BOARD / "board.json").is_file():
        pytest.skip("the pathologies board is not built yet")
    v = verify(BOARD)
    assert v.ok, v.problems
    from ganbench.leaderboards import load

    df = load(BOARD)
    assert set(df["study"]) == {"vanishing", "clipping"} and (df["seeds"] >= 3).all()


def test_linked_rows_are_read_from_the_linked_board(tiny_board, tmp_path):
    """Section 3's numbers come from ../ring/board.json at build time, never typed in board.toml; a linked row
    or board that is not there is a one-line error naming it."""
    ring = json.loads((tiny_board.parent / "ring" / "board.json").read_text())
    link = json.loads((tiny_board / "board.json").read_text())["links"][0]
    by = {r["label"]: r for r in ring["rows"]}
    assert link["linked_rows"] and link["metrics"] == ring["metrics"]
    for row in link["linked_rows"]:
        for m in ring["metrics"]:
            assert row["cells"][m]["mean"] == by[row["label"]]["cells"][m]["mean"]
    readme = (tiny_board / "README.md").read_text()
    first = link["linked_rows"][0]
    assert f"| {first['label']} | {first['seeds']} |" in readme
    bad = tmp_path / "root" / "pathologies"
    shutil.copytree(tiny_board, bad)
    with pytest.raises(GanbenchError, match="ring/board.json is missing"):
        build(None, bad)
    (bad.parent / "ring").mkdir()
    doctored = {**ring, "rows": [r for r in ring["rows"] if r["label"] != first["label"]]}
    (bad.parent / "ring" / "board.json").write_text(json.dumps(doctored))
    with pytest.raises(GanbenchError, match="has no row"):
        build(None, bad)


def csv_rows(payload: bytes):
    import csv
    import io

    return csv.DictReader(io.StringIO(payload.decode()))


def test_verify_fails_on_a_tampered_missing_or_stray_record(tiny_board, tmp_path):
    board = _copy(tiny_board, tmp_path)
    rec_path = sorted((board / "records").glob("clipping*.json"))[0]
    rec = json.loads(rec_path.read_text())
    rec["curves"]["act_grad"][-1][0] *= 10
    rec_path.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    out = CliRunner().invoke(cli, ["leaderboard", "verify", str(board)])
    assert out.exit_code == 1
    assert f"record {rec_path.name} changed" in out.stdout
    assert "README.md differs from a fresh build" in out.stdout  # the table moved with the curve
    rec_path.unlink()
    shutil.copy(sorted((board / "records").glob("vanishing*.json"))[0], board / "records" / "zz_extra.json")
    v = verify(board)
    assert any(f"record {rec_path.name} is missing" in p for p in v.problems)
    assert any("record zz_extra.json is in" in p and "not on the board" in p for p in v.problems)


def test_a_studies_board_refuses_other_records(tiny_board, tmp_path):
    board = _copy(tiny_board, tmp_path)
    (board / "records" / "eval.json").write_text(json.dumps({"record_kind": "eval", "protocol": {}}))
    with pytest.raises(GanbenchError, match="eval.json is not a study record"):
        build(None, board, write=False)
    rec = json.loads(sorted((tiny_board / "records").glob("*.json"))[0].read_text())
    (board / "records" / "eval.json").write_text(json.dumps({**rec, "study": "unknown"}))
    with pytest.raises(GanbenchError, match="study 'unknown', which board.toml does not define"):
        build(None, board, write=False)


def test_swissroll_is_gan_toys_draw_and_has_no_mode_score(tmp_path):
    from sklearn.datasets import make_swiss_roll

    x, t = toydata.make("swissroll", 500, seed=3)
    assert x.shape == (500, 2) and t.shape == (500,)
    assert np.array_equal(x, toydata.make("swissroll", 500, seed=3)[0])
    assert not np.array_equal(x, toydata.make("swissroll", 500, seed=4)[0])
    # gan_toy.py: make_swiss_roll(noise=0.25)[0][:, [0, 2]] / 7.5, here with a seeded generator
    ref = make_swiss_roll(
        500, noise=0.25, random_state=np.random.RandomState(np.random.MT19937(np.random.SeedSequence(3)))
    )
    assert np.array_equal(x, ref[0][:, [0, 2]] / 7.5)
    assert np.all(np.abs(x) < 2.5) and 0.5 < x.std() < 1.5  # "stdev plus a little"
    out = CliRunner().invoke(cli, ["data", "swissroll", "-n", "64", "-o", str(tmp_path / "x.npy")])
    assert out.exit_code == 0, out.output
    assert np.array_equal(np.load(tmp_path / "x.npy"), toydata.make("swissroll", 64, 0)[0])
    with pytest.raises(GanbenchError, match="swissroll has no mode score"):
        toydata.score("swissroll", x)
    (tmp_path / "s.npy").write_bytes((tmp_path / "x.npy").read_bytes())
    out = CliRunner().invoke(cli, ["diagnose", str(tmp_path / "s.npy"), "--benchmark", "swissroll"])
    assert out.exit_code != 0 and "no mode score" in out.output and "Traceback" not in out.output


def test_training_on_the_swissroll_refuses_a_mode_score_log(tmp_path):
    import ganbench

    sets = {"arch": "mlp-2d-deep", "loss": "wasserstein", "z_dim": 2, "batch_size": 8, "g_batch_size": 8}
    with pytest.raises(GanbenchError, match="--eval-every on swissroll: it has no mode score"):
        ganbench.train(
            "toy-mlp", out=tmp_path / "run", data="swissroll", steps=1, set=sets, eval_every=1, progress=False
        )
