"""The image-to-image board (issue 23): paired-evaluation records (psnr, ssim, lpips) of several tasks on one
board, grouped by task, each task with its floors; rows' means and intervals across training seeds; LPIPS
without official weights marked on the board; the build verifies, and a changed record names its row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ganbench.leaderboards import load
from ganbench.leaderboards.build import build
from ganbench.leaderboards.verify import verify

BOARD_TOML = """title = "tiny paired board"
description = "two tasks"
headline = "psnr"
metrics = ["psnr", "ssim", "lpips"]
sort = "psnr"
higher_is_better = ["psnr", "ssim"]
bounds = { psnr = [0, 1e9], ssim = [-1, 1], lpips = [0, 1e9] }
bars = ["psnr", "lpips"]
paired = true

[protocol]
extractor = "lpips-alex"

[task.colorize]
title = "colourisation"

[task.inpaint]
title = "inpainting"
"""


def _record(outputs, targets, run, name, tmp):
    """A record as the runner writes one: `ganbench eval OUTPUTS --target TARGETS --json`, plus its run block."""
    from ganbench import evaluate_paired

    res = evaluate_paired(outputs, targets, ["psnr", "ssim", "lpips"], lpips_weights="random", bootstrap=50)
    rec = json.loads(res.to_json())
    rec["run"] = run
    rec["provenance"]["commands"] = {"score": f"ganbench eval {name}.outputs.npz --target test.npz --json {name}.json"}
    (tmp / "records" / f"{name}.json").write_text(json.dumps(rec, indent=2) + "\n")
    return rec


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i2i")
    (tmp / "records").mkdir()
    (tmp / "board.toml").write_text(BOARD_TOML)
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    grey = np.repeat(targets.mean(-1, keepdims=True).round().astype(np.uint8), 3, -1)
    recs = {
        "floor": _record(
            grey,
            targets,
            {
                "setting": "input (floor)",
                "task": "colorize",
                "role": "floor",
                "checkpoint_selection": "none (no model)",
            },
            "colorize-floor",
            tmp,
        )
    }
    for seed in range(3):
        noise = rng.integers(-20 - 10 * seed, 21 + 10 * seed, targets.shape)
        good = np.clip(targets.astype(int) + noise, 0, 255).astype(np.uint8)
        bad = rng.integers(0, 256, targets.shape, dtype=np.uint8)
        for role, out, label in (("trained", good, "g2g"), ("untrained", bad, "g2g, untrained (step 0)")):
            run = {
                "baseline": "g2g",
                "config_hash": "abc",
                "training_seed": seed,
                "setting": label,
                "task": "colorize",
                "role": role,
                "checkpoint_selection": "final" if role == "trained" else "step 0 (untrained)",
            }
            recs[f"{role}{seed}"] = _record(out, targets, run, f"colorize-{role}-s{seed}", tmp)
    holes = targets.copy()
    holes[:, 8:24, 8:24] = 127
    recs["inpaint"] = _record(
        holes,
        targets,
        {"setting": "mean fill (floor)", "task": "inpaint", "role": "floor", "checkpoint_selection": "none (no model)"},
        "inpaint-floor",
        tmp,
    )
    build(None, tmp)
    return tmp, recs, targets, grey


def test_rows_are_grouped_by_task_with_floors_and_seed_intervals(board):
    tmp, recs, targets, grey = board
    data = json.loads((tmp / "board.json").read_text())
    rows = data["rows"]
    assert [r["task"] for r in rows] == ["colorize"] * 3 + ["inpaint"]  # board.toml's task order
    assert [r["label"] for r in rows[:3]] == ["g2g", "input (floor)", "g2g, untrained (step 0)"]  # best psnr first
    trained, floor, untrained = rows[:3]
    assert trained["seeds"] == untrained["seeds"] == [0, 1, 2] and floor["seeds"] == []
    assert (trained["role"], floor["role"], untrained["role"]) == ("trained", "floor", "untrained")
    # the floor's psnr, computed here independently: the mean over pairs of 10 log10(255^2 / MSE)
    mse = ((grey.astype(np.float64) - targets) ** 2).reshape(len(targets), -1).mean(1)
    assert floor["cells"]["psnr"]["mean"] == pytest.approx(np.mean(10 * np.log10(255.0**2 / mse)), abs=1e-9)
    assert floor["cells"]["psnr"]["interval"].startswith("evaluation")
    assert [floor["cells"]["psnr"]["lo"], floor["cells"]["psnr"]["hi"]] == recs["floor"]["metrics"]["psnr"]["ci"]
    # a trained row: mean and t interval across its three seeds' records
    vals = np.array([recs[f"trained{s}"]["metrics"]["psnr"]["value"] for s in range(3)])
    cell = trained["cells"]["psnr"]  # (lpips: its interval is clipped at 0 here)
    assert cell["mean"] == pytest.approx(vals.mean(), abs=1e-12)
    half = stats.t.ppf(0.975, 2) * vals.std(ddof=1) / np.sqrt(3)
    assert (cell["lo"], cell["hi"]) == pytest.approx((vals.mean() - half, vals.mean() + half), abs=1e-12)
    assert cell["interval"] == "across 3 training seeds (t, 95%)"
    assert data["direction"] == {"psnr": "higher is better", "ssim": "higher is better", "lpips": "lower is better"}
    assert sorted(data["figures"]) == ["lpips_bars.png", "psnr_bars.png"]
    df = load(tmp)
    assert list(df["label"][:3]) == ["g2g", "input (floor)", "g2g, untrained (step 0)"]
    assert list(df["role"][:3]) == ["trained", "floor", "untrained"] and df["task"].iloc[3] == "inpaint"


def test_readme_groups_tasks_and_marks_unofficial_lpips(board):
    tmp = board[0]
    readme = (tmp / "README.md").read_text()
    data = json.loads((tmp / "board.json").read_text())
    assert data["unofficial"] == ["lpips"]  # the records' lpips values say official: false
    assert "lpips ↓ (NOT official weights)" in readme and "psnr ↑" in readme
    assert readme.index("### colourisation (task `colorize`)") < readme.index("### inpainting (task `inpaint`)")
    inpaint = readme[readme.index("### inpainting") :].split("\n## ")[0]  # its table, up to the next section
    assert "mean fill (floor)" in inpaint and "g2g" not in inpaint
    assert "none (no model)" in readme  # a floor has no training seed
    csv_head = (tmp / "board.csv").read_text().splitlines()[0]
    assert csv_head.startswith("task,role,kind,label")
    assert "NOT the official weights" in (tmp / "index.html").read_text()


def test_built_board_verifies_and_a_changed_record_names_its_row(board, tmp_path):
    import shutil

    tmp = board[0]
    v = verify(tmp)
    assert v.ok, v.problems
    copy = tmp_path / "copy"
    shutil.copytree(tmp, copy)
    path = copy / "records" / "colorize-trained-s1.json"
    rec = json.loads(path.read_text())
    rec["metrics"]["psnr"]["value"] += 1.0
    path.write_text(json.dumps(rec, indent=2) + "\n")
    v = verify(copy)
    assert not v.ok and any("'g2g'" in p and "colorize-trained-s1.json" in p for p in v.problems)


def test_runner_drops_pairs_whose_target_is_already_grey(tmp_path):
    """The colourisation test pairs leave out grey images (input == target: PSNR inf for the floor)."""
    import importlib.util

    from ganbench.toydata.paired import make_pairs, save_pairs

    path = Path(__file__).resolve().parents[1] / "leaderboards" / "image_to_image_runs.py"
    spec = importlib.util.spec_from_file_location("image_to_image_runs", path)
    runs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runs)
    images = np.random.default_rng(1).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    images[[1, 3]] = images[[1, 3], ..., :1]  # R = G = B: grey already
    save_pairs(tmp_path / "all.npz", *make_pairs("colorize", images))
    assert runs.drop_identical(tmp_path / "all.npz", tmp_path / "kept.npz") == 2
    with np.load(tmp_path / "kept.npz") as z:
        assert np.array_equal(z["targets"], images[[0, 2, 4]])
    items = runs.plan(runs.read_board())  # the committed board: every setting names a task it defines
    assert {i["setting"]["task"] for i in items} <= set(runs.read_board()["task"])
