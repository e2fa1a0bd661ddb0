"""MkDocs hook: the pages that the code already knows, generated at build time from their single sources.

- reference/metrics.md from `ganbench.metrics.METRICS` (summary, aliases, extractor, what it needs, the
  implementation it matches, options and defaults, the docstring of the module that registers it);
- reference/extractors.md from `ganbench.features.extractors.EXTRACTORS` and each one's `WeightsSpec`;
- reference/baselines.md from `baselines/*.toml` (`ganbench.baselines.BASELINES`);
- reference/defaults.md from `ganbench.defaults.DEFAULTS`;
- leaderboards.md and a copy of every board's self-contained index.html (leaderboards/*/);
- changelog.md and contributing.md from CHANGELOG.md and CONTRIBUTING.md at the top of the repository;
- the two quickstart commands on the home page from README.md's first ```bash block (what .ci/run runs).

Each page is a function of its registry (`metrics_page(METRICS)` ...), so tests call them on a changed
registry; `missing_sections(site_dir)` is the page-coverage check the tests run on a built site.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the hook's modules beside it

from docs_boards import BOARDS, board_readme, boards, leaderboards_page, top_file
from docs_markdown import ROOT, anchor, doc, use_checkout
from docs_registries import (
    baseline_section,
    baselines_page,
    defaults_page,
    extractor_section,
    extractors_page,
    metric_section,
    metrics_page,
)

QUICKSTART = "<!-- quickstart: the two commands of README.md, inserted at build time -->"
TOP_FILES = {"changelog.md": "CHANGELOG.md", "contributing.md": "CONTRIBUTING.md"}
__all__ = [
    "anchor",
    "baseline_section",
    "baselines_page",
    "board_readme",
    "boards",
    "defaults_page",
    "doc",
    "extractor_section",
    "extractors_page",
    "generated_pages",
    "leaderboards_page",
    "metric_section",
    "metrics_page",
    "missing_sections",
    "quickstart",
    "top_file",
]


# ---- quickstart


def quickstart(readme: str) -> list[str]:
    """The first two lines of README.md's first ```bash block (the lines .ci/run runs verbatim)."""
    m = re.search(r"^```bash\n(.*?)^```$", readme, flags=re.DOTALL | re.MULTILINE)
    lines = m.group(1).splitlines()[:2] if m else []
    if len(lines) != 2:
        raise ValueError("README.md has no ```bash block with two lines: the quickstart cannot be generated")
    return lines


def quickstart_block(readme: str) -> str:
    one, two = quickstart(readme)
    return (
        "Install ganbench with the official FID Inception weights and score the shipped example offline:\n\n"
        f"```bash\n{one}\n```\n\n"
        "Install the reference implementations and run the test suite (which compares every metric with them):\n\n"
        f"```bash\n{two}\n```\n"
    )


# ---- the coverage check


def missing_sections(site_dir: Path, metrics=None, extractors=None, baselines=None) -> list[str]:
    """Every registered metric, extractor and baseline without its section in the built site."""
    use_checkout()
    if metrics is None:
        from ganbench.metrics import METRICS as metrics
    if extractors is None:
        from ganbench.features.extractors import EXTRACTORS as extractors
    if baselines is None:
        from ganbench.baselines import BASELINES as baselines
    site = Path(site_dir)
    out = []
    for kind, registry, page in (
        ("metric", metrics, "metrics"),
        ("extractor", extractors, "extractors"),
        ("baseline", baselines, "baselines"),
    ):
        html_path = site / "reference" / page / "index.html"
        html = html_path.read_text() if html_path.is_file() else ""
        for name in registry.names():
            if f'id="{anchor(kind, name)}"' not in html and not _is_alias(registry, name):
                out.append(f"{kind} {name}: no section in {html_path}")
    return out


def _is_alias(registry, name: str) -> bool:
    entry = registry.get(name)
    return getattr(entry, "name", name) != name


# ---- MkDocs events


def generated_pages(root: Path = ROOT) -> dict[str, str]:
    pages = {
        "reference/metrics.md": metrics_page(),
        "reference/extractors.md": extractors_page(),
        "reference/baselines.md": baselines_page(),
        "reference/defaults.md": defaults_page(),
        "leaderboards.md": leaderboards_page(root),
    }
    pages.update({site: top_file(top, root) for site, top in TOP_FILES.items()})
    return pages


def on_config(config):
    use_checkout()  # mkdocs-click imports ganbench.cli: the checkout's, not an installed copy
    return config


def on_files(files, config):
    from mkdocs.structure.files import File

    for uri, text in generated_pages().items():
        files.append(File.generated(config, uri, content=text))
    for name, folder, _ in boards():
        if (folder / "index.html").is_file():
            files.append(File.generated(config, f"{BOARDS}/{name}/index.html", abs_src_path=str(folder / "index.html")))
        elif (folder / "README.md").is_file():
            text, figures = board_readme(folder)
            files.append(File.generated(config, f"{BOARDS}/{name}/index.md", content=text))
            for png in figures:
                files.append(File.generated(config, f"{BOARDS}/{name}/{png.name}", abs_src_path=str(png)))
    return files


def on_page_markdown(markdown, page, config, files):
    if QUICKSTART in markdown:
        markdown = markdown.replace(QUICKSTART, quickstart_block((ROOT / "README.md").read_text()))
    return markdown
