"""Every reported number (the boards' reported.toml rows and the baselines' [[reported]] blocks) says what
was reported, under which protocol, where it comes from and where it was read; the boards show the
protocol as columns and rank rows only within a protocol group."""

import re
import shutil
import sys
from pathlib import Path

import pytest

from ganbench.errors import GanbenchError
from ganbench.leaderboards.definition import PROTOCOL_KEYS, read_board, read_reported, sort_reported

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BOARDS = sorted(p.parent for p in (ROOT / "leaderboards").glob("*/board.toml") if "reported" in read_board(p.parent))
BASELINES = sorted((ROOT / "baselines").glob("*.toml"))
# `checked` says where a number was read: a source, never this project's tracker
CITES_AN_ISSUE = re.compile(r"\b(quoted|stated|given|read) (in|by) (ganbench )?issue \d+", re.I)


def _nonempty(v) -> bool:
    return v not in (None, "") and (not isinstance(v, str) or v.strip() != "")


@pytest.mark.parametrize("board", BOARDS, ids=[b.name for b in BOARDS])
def test_every_board_reported_row_has_protocol_source_and_checked(board):
    raw = tomllib.loads((board / read_board(board)["reported"]).read_text())["row"]
    assert raw
    for r in raw:
        for key in ("label", "metrics", "protocol", "citation", "checked") + PROTOCOL_KEYS:
            assert _nonempty(r.get(key)), f"{board.name}: {r.get('label')} lacks {key}"
        assert not CITES_AN_ISSUE.search(r["checked"]), r["label"]
        for k in ("n_generated", "n_real"):
            assert isinstance(r[k], str) or r[k] > 0, r["label"]
    rows = read_reported(board, read_board(board))
    assert len(rows) == len(raw) and all(r["group"] for r in rows)


@pytest.mark.parametrize("path", BASELINES, ids=[p.stem for p in BASELINES])
def test_every_baseline_reported_block_has_protocol_source_and_checked(path):
    for r in tomllib.loads(path.read_text()).get("reported", []):
        need = ["dataset", "metric", "value", "n_gen", "where", "checked"]
        if r["dataset"] == "cifar10":
            need += ["inception"] + (["n_real", "split"] if r["metric"] in ("fid", "kid") else [])
        for key in need:
            assert _nonempty(r.get(key)), f"{path.name}: a {r.get('metric')} row lacks {key}"
        assert not CITES_AN_ISSUE.search(r["checked"]), path.name


def test_the_corrected_numbers():
    """The values of Miyato et al. 2018 table 2 as the paper prints them (issue 21's corrections)."""
    rows = {
        r["label"]: r
        for r in read_reported(ROOT / "leaderboards" / "cifar10", read_board(ROOT / "leaderboards" / "cifar10"))
    }
    wgan = rows["WGAN-GP, standard CNN (in the SNGAN paper)"]
    assert wgan["metrics"]["fid"] == 40.2 and (wgan["n_generated"], wgan["n_real"]) == (5000, 10000)
    assert rows["SNGAN, standard CNN, hinge loss (Miyato et al.; ganbench's sngan)"]["metrics"]["fid"] == 25.5
    assert "not hinge" in rows["SNGAN, standard CNN, standard GAN loss (Miyato et al.)"]["loss"]
    assert all("StudioGAN v0.4" not in label for label in rows)


def test_a_row_without_its_protocol_is_a_clear_error(tmp_path):
    board = tmp_path / "b"
    shutil.copytree(ROOT / "leaderboards" / "ring", board, ignore=shutil.ignore_patterns("records"))
    text = (board / "reported.toml").read_text()
    (board / "reported.toml").write_text(re.sub(r"(?m)^split = .*\n", "", text))
    with pytest.raises(GanbenchError, match="lacks split"):
        read_reported(board, read_board(board))
    (board / "reported.toml").write_text(re.sub(r"(?m)^checked = .*\n", "", text))
    with pytest.raises(GanbenchError, match="lacks checked"):
        read_reported(board, read_board(board))


def test_reported_rows_sort_within_their_protocol_group():
    def row(label, fid, n):
        return {"label": label, "metrics": {"fid": fid} if fid is not None else {}, "group": f"{n} / {n}"}

    rows = [
        row("a", 30.0, 50000),
        row("b", 10.0, 10000),
        row("c", 20.0, 50000),
        row("d", None, 50000),
        row("e", 5.0, 10000),
    ]
    assert [r["label"] for r in sort_reported(rows, "fid", [])] == ["c", "a", "d", "e", "b"]
    rows = [row("a", 7.0, 1), row("b", 8.0, 1)]
    assert [r["label"] for r in sort_reported(rows, "fid", ["fid"])] == ["b", "a"]


def test_boards_show_the_protocol_columns():
    for board in BOARDS:
        readme = (board / "README.md").read_text()
        assert "| N generated | N real | split | Inception | loss |" in readme, board.name
        page = (board / "index.html").read_text()
        assert 'id="reported"' in page and "<th>N generated</th>" in page and 'data-g="0"' in page, board.name
