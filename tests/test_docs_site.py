"""The documentation site (mkdocs.yml, docs/): it builds with warnings as errors, every registered metric,
extractor and baseline has its section, the generated pages follow their sources, the boards' pages are in
it, and the home page and a board render in headless chromium with nothing on the console.

The site is built once per test session (about 5 s on one core; `mkdocs build --strict`)."""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import os
import re
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_report_browser import browse, chromium, not_blank, screenshot  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]


def _hook():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", ROOT / "docs" / "hooks" / "reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


hook = _hook()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if importlib.util.find_spec("mkdocs") is None:
        msg = 'mkdocs is not installed: pip install -e ".[docs]"'
        if os.environ.get("CI") and sys.version_info >= (3, 11):  # the docs extra's releases need 3.11
            pytest.fail(msg)
        pytest.skip(msg)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out, r


def _text(path: Path) -> str:
    """A built page's text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_site_builds_strict(site):
    out, r = site
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr[-3000:]
    assert (out / "index.html").is_file()
    for page in out.rglob("*.html"):  # nothing is fetched: no web fonts, no script or style from a CDN
        assert not re.search(r'<(script|link|img)[^>]*(src|href)="https?://', page.read_text()), page


def test_a_broken_link_anchor_or_docstring_fails_the_build(tmp_path):
    """The site's own settings (strict, validation, mkdocstrings) make a broken link, a broken anchor and
    a docstring that does not render errors."""
    import yaml

    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[a page](missing.md) and [a section](#nowhere)\n\n::: probe.f\n")
    (tmp_path / "probe.py").write_text('def f(a):\n    """Do.\n\n    Args:\n        b: no such parameter.\n    """\n')
    keep = ("strict", "validation", "markdown_extensions", "theme", "plugins")
    mini = {**{k: config[k] for k in keep}, "site_name": "t", "docs_dir": str(docs), "site_dir": str(tmp_path / "s")}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(mini))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(tmp_path / "mkdocs.yml")]
    r = subprocess.run(cmd, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    for expect in ("missing.md", "#nowhere", "Parameter 'b' does not appear in the function signature"):
        assert expect in r.stderr, r.stderr[-3000:]


def test_every_registry_entry_has_its_section(site):
    out, r = site
    assert r.returncode == 0, r.stderr[-3000:]
    assert hook.missing_sections(out) == []


def test_checker_catches_an_undocumented_entry(site):
    from ganbench.baselines import BASELINES
    from ganbench.features.extractors import EXTRACTORS, ExtractorInfo
    from ganbench.metrics import METRICS
    from ganbench.registry import Registry

    out, _ = site
    metrics = Registry("metric")
    for name, m in METRICS.items():
        metrics._items[name] = m
    metrics.add("undocumented", dataclasses.replace(METRICS.get("fid"), name="undocumented"))
    assert hook.missing_sections(out, metrics=metrics) == [
        f"metric undocumented: no section in {out / 'reference' / 'metrics' / 'index.html'}"
    ]
    extractors = Registry("extractor")
    for name, e in EXTRACTORS.items():
        extractors._items[name] = e
    extractors.add("ghost-net", ExtractorInfo("ghost-net", "s", {"pool": 1}, "r", "none", lambda **_: None))
    assert [m.split(":")[0] for m in hook.missing_sections(out, extractors=extractors)] == ["extractor ghost-net"]

    class Baselines(dict):  # BASELINES' interface: names, items, get
        def names(self):
            return sorted(self)

        def get(self, name):
            return self[name]

    baselines = Baselines(BASELINES.items())
    baselines["new-gan"] = {"name": "new-gan"}
    assert [m.split(":")[0] for m in hook.missing_sections(out, baselines=baselines)] == ["baseline new-gan"]


def test_metric_page_follows_the_docstring_and_options(monkeypatch):
    import ganbench.metrics.kid as kid_module
    from ganbench.metrics import METRICS

    before = hook.generated_pages()["reference/metrics.md"]
    assert "`kid_subsets` | `100`" in before
    monkeypatch.setattr(kid_module, "__doc__", "Kernel distance.\n\nA sentence only this test writes.")
    monkeypatch.setattr(METRICS.get("kid"), "options", {**METRICS.get("kid").options, "kid_subsets": 7, "kid_new": 0.5})
    after = hook.generated_pages()["reference/metrics.md"]
    section = after.split("{#metric-kid}", 1)[1].split("\n## ", 1)[0]
    assert "A sentence only this test writes." in section
    assert "`kid_subsets` | `7`" in section and "`kid_new` | `0.5`" in section
    assert "`kid_subsets` | `100`" not in section


def test_docstrings_become_markdown():
    assert hook.doc("    Two numbers:\n    - one\n      more\n    - two\n") == "Two numbers:\n\n- one\n  more\n- two"
    assert hook.doc("rows [i*N//k, (i+1)*N//k), `a*b`, **bold**") == "rows [i\\*N//k, (i+1)\\*N//k), `a*b`, **bold**"


def test_extractor_and_baseline_pages_follow_their_sources():
    from ganbench.baselines import BASELINES
    from ganbench.features.extractors import EXTRACTORS
    from ganbench.features.weights import OFFICIAL_SHA256

    page = hook.extractors_page()
    assert OFFICIAL_SHA256 in page  # the pinned file's full sha256
    assert "GANBENCH_INCEPTION_WEIGHTS" in page and "**Offline:**" in page
    info = dataclasses.replace(EXTRACTORS.get("clip"), summary="a summary only this test writes")
    assert "a summary only this test writes" in hook.extractor_section(info.name, info)
    dcgan = BASELINES.get("dcgan")
    assert f"G {dcgan['source']['params']['G']:,}" in hook.baselines_page()
    changed = {**dcgan, "source": {**dcgan["source"], "params": {"G": 123456789, "D": 1}}}
    assert "G 123,456,789, D 1" in hook.baseline_section("dcgan", changed)


def test_changelog_and_contributing_links(tmp_path):
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\nSee [the guide](docs/guides/gates.md), [fid.py](ganbench/metrics/fid.py), "
        "[`setup.cfg`](setup.cfg), [a site](https://example.org) and ![a figure](docs/images/x.png).\n"
    )
    text = hook.top_file("CHANGELOG.md", tmp_path)
    assert "[the guide](guides/gates.md)" in text  # a docs page: relative to docs/
    assert "fid.py (`ganbench/metrics/fid.py`)" in text and "[fid.py]" not in text  # not in the site: named
    assert "![a figure](images/x.png)" in text
    assert "`setup.cfg`," in text and "[a site](https://example.org)" in text
    assert "# Contributing" in hook.top_file("CONTRIBUTING.md", tmp_path)  # absent: a placeholder


def test_quickstart_is_readmes_first_two_lines(site):
    out, r = site
    assert r.returncode == 0, r.stderr[-3000:]
    lines = hook.quickstart((ROOT / "README.md").read_text())
    assert "ganbench eval" in lines[0] and "pytest" in lines[1]
    home = _text(out / "index.html")
    assert lines[0] in home and lines[1] in home
    assert hook.quickstart("x\n```bash\none\ntwo\nthree\n```\n") == ["one", "two"]
    with pytest.raises(ValueError):
        hook.quickstart("no code here")


def test_boards_are_in_the_site(site):
    out, r = site
    assert r.returncode == 0, r.stderr[-3000:]
    page = (out / "leaderboards" / "index.html").read_text()
    with_html = 0
    for name, folder, data in hook.boards():
        assert f'href="{name}/"' in page or f'href="{name}/index.html"' in page, name
        if (folder / "index.html").is_file():  # the board's own page, byte for byte
            with_html += 1
            assert (out / "leaderboards" / name / "index.html").read_bytes() == (folder / "index.html").read_bytes()
        else:  # a studies board: its README.md as a page, with every figure it shows
            built = (out / "leaderboards" / name / "index.html").read_text()
            assert html.escape(data["title"], quote=False) in built
            for png in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", (folder / "README.md").read_text()):
                assert (out / "leaderboards" / name / png).read_bytes() == (folder / png).read_bytes()
    assert with_html >= 5


@pytest.fixture(scope="module")
def served(site):
    """The built site over http on localhost (as it is published: the search worker fetches its index)."""
    out, r = site
    assert r.returncode == 0, r.stderr[-3000:]
    handler = partial(SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


def console_messages(exe, tmp_path, url):
    """Every message the page writes to the console (errors, uncaught exceptions, logs), with its DOM."""
    r = browse(exe, tmp_path, url, "--enable-logging=stderr", "--v=0", "--dump-dom", "--virtual-time-budget=5000")
    assert r.returncode == 0 and "<body" in r.stdout, r.stderr[-2000:]
    return [line for line in r.stderr.splitlines() if ":CONSOLE" in line], r.stdout


@pytest.mark.browser
def test_home_page_and_a_board_render_without_console_messages(served, chromium, tmp_path):  # noqa: F811
    base, _ = served
    broken = tmp_path / "broken.html"  # the check itself sees an error
    broken.write_text("<html><body>x<script>undefinedFunction();</script></body></html>")
    assert any("undefinedFunction" in m for m in console_messages(chromium, tmp_path, broken.as_uri())[0])
    for path, expect in (("/", "Quickstart"), ("/leaderboards/ring/", "Mode collapse on the 2-D ring")):
        messages, dom = console_messages(chromium, tmp_path, base + path)
        assert messages == [], messages
        assert expect in dom
        not_blank(screenshot(chromium, tmp_path, base + path))
