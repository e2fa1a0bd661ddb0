"""The diagnose report rendered by a real headless browser (Debian's chromium).

Install: ``apt-get install -y chromium``.  Without it these tests skip locally and FAIL under CI
(the CI environment variable set), so a missing browser cannot pass silently there.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from ganbench.diagnose import diagnose_features, diagnose_toy

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    exe = shutil.which("chromium")
    if exe is None:
        msg = "chromium is not installed: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def browse(exe, tmp_path, url, *args, timeout=120):
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args, url]
    return subprocess.run(cmd, capture_output=True, timeout=timeout, text=True)


def screenshot(exe, tmp_path, url):
    from PIL import Image

    png = tmp_path / "shot.png"
    r = browse(exe, tmp_path, url, f"--screenshot={png}", "--window-size=1280,2000")
    assert png.exists(), r.stderr[-2000:]
    return np.asarray(Image.open(png).convert("RGB"), dtype=np.float32)


def dom(exe, tmp_path, url):
    # virtual time lets the page's load handler run before the DOM is dumped
    r = browse(exe, tmp_path, url, "--dump-dom", "--virtual-time-budget=5000")
    assert r.returncode == 0 and "<body" in r.stdout, r.stderr[-2000:]
    return r.stdout


def check_images(html_dom):
    """Every <img> carries a base64 PNG that decodes; returns how many there are."""
    from PIL import Image

    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html_dom)
    assert srcs
    for src in srcs:
        assert src.startswith("data:image/png;base64,"), src[:80]
        im = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True)))
        im.load()
        assert im.size[0] > 0 and im.size[1] > 0
    decoded = re.search(r'data-images-decoded="(\d+)/(\d+)"', html_dom)
    assert decoded, "the page's load handler did not run"
    assert decoded.group(1) == decoded.group(2) == str(len(srcs)), "the browser failed to decode some images"
    return len(srcs)


def not_blank(shot):
    assert shot.shape[1] == 1280
    assert shot.std() > 5  # a white or single-colour page has ~0
    assert (shot.sum(-1) < 600).mean() > 0.003  # some of the pixels are not near-white


def test_feature_report_renders(chromium, tmp_path, cifar_excerpt):
    rng = np.random.default_rng(0)
    cent = rng.normal(scale=4, size=(20, 32))
    rl, gl = rng.integers(0, 20, 1017), rng.integers(0, 12, 600)
    ref = (cent[rl] + rng.normal(size=(1017, 32))).astype(np.float32)
    gen = (cent[gl] + rng.normal(size=(600, 32))).astype(np.float32)
    gen[:20] = ref[:20]  # memorised: their thumbnails must show the same picture twice
    gen[500:520] = gen[100:120]  # duplicated
    gen_images = cifar_excerpt["test_images"][:600].copy()
    gen_images[:20] = cifar_excerpt["train_images"][:20]
    gen_images[500:520] = gen_images[100:120]
    out = tmp_path / "report"
    diagnose_features(
        gen,
        ref,
        out,
        gen_labels=gl,
        ref_labels=rl,
        gen_images=gen_images,
        ref_images=cifar_excerpt["train_images"],
        k_bins=20,
    )
    url = (out / "index.html").as_uri()

    not_blank(screenshot(chromium, tmp_path, url))
    page = dom(chromium, tmp_path, url)
    n = check_images(page)
    assert page.count('class="fig"') == 5  # bins, coverage, PCA, distances, classes
    assert page.count('class="thumb"') >= 64  # 16 memorised pairs + 16 duplicate pairs
    assert n == page.count('class="fig"') + page.count('class="thumb"')
    assert "http://" not in page and "https://" not in page


def test_toy_report_renders(chromium, tmp_path):
    from ganbench import toydata

    pts, _ = toydata.make("grid", 2000, 0)
    out = tmp_path / "toy"
    diagnose_toy("grid", pts[pts[:, 0] < 1], out)  # half the modes dropped
    url = (out / "index.html").as_uri()
    not_blank(screenshot(chromium, tmp_path, url))
    assert check_images(dom(chromium, tmp_path, url)) == 1
