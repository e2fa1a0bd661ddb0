"""A committed board's index.html in a real headless browser (Debian's chromium): it renders, every
figure decodes, and the table sorts (the page sorts on load when its URL ends in #sort=COLUMN)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_report_browser import FLAGS, check_images, chromium, not_blank, screenshot  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
BOARD = Path(__file__).resolve().parents[1] / "leaderboards" / "ring"


def _dom(exe, tmp_path, url):
    import subprocess

    r = subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={tmp_path / 'dom'}", "--dump-dom", "--virtual-time-budget=5000", url],
        capture_output=True,
        timeout=120,
        text=True,
    )
    assert r.returncode == 0 and "<body" in r.stdout, r.stderr[-2000:]
    return r.stdout


def test_board_page_renders_sorts_and_is_self_contained(chromium, tmp_path):  # noqa: F811
    url = (BOARD / "index.html").as_uri()
    not_blank(screenshot(chromium, tmp_path, url))
    board = json.loads((BOARD / "board.json").read_text())
    page = _dom(chromium, tmp_path, url)
    assert check_images(page) == len(board["figures"])
    assert "http://" not in page and "https://" not in page
    col = 4 + board["metrics"].index("high_quality_fraction")  # setting, kind, seeds, checkpoint, metrics...
    sorted_page = _dom(chromium, tmp_path, url + f"#sort={col}-desc")
    body = sorted_page.split('<table class="sortable" id="board">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"(reproduced|reported)\">(.*?)</tr>", body, flags=re.S)
    values = [re.findall(r'data-v="([^"]*)"', cells)[col - 3] for _kind, cells in rows]  # seeds, then the metrics
    nums = [float(v) for v in values if v]
    assert len(nums) >= 3 and nums == sorted(nums, reverse=True)
    assert [k for k, _ in rows].count("reported") == 0  # reported rows: their own table, ranked within protocol groups
    rep = sorted_page.split('<table class="sortable grouped" id="reported">', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r'<tr class="reported" data-g="\d+">', rep)) == len(board["reported"])
