"""The leaderboards page, the boards' own pages, and CHANGELOG.md / CONTRIBUTING.md as site pages."""

from __future__ import annotations

import re
from pathlib import Path

from docs_markdown import ROOT, cell

BOARDS = "leaderboards"  # the repository's folder of boards, and their place in the site


# ---- leaderboards


def boards(root: Path = ROOT) -> list[tuple[str, Path, dict]]:
    """(name, folder, board.json) of every built board under leaderboards/."""
    import json

    out = []
    for folder in sorted((root / BOARDS).iterdir()):
        if (folder / "board.json").is_file():
            out.append((folder.name, folder, json.loads((folder / "board.json").read_text())))
    return out


def leaderboards_page(root: Path = ROOT) -> str:
    parts = [
        "# Leaderboards\n",
        (
            "Each board is built from evaluation records by `ganbench leaderboard build` and checked by "
            "`ganbench leaderboard verify` (see the guide [Building and verifying leaderboards]"
            "(guides/leaderboards.md)). Its page below is the board's own `index.html`, copied into the site "
            "when it is built: one self-contained page (inline figures, sortable tables, nothing fetched).\n"
        ),
    ]
    for name, folder, data in boards(root):
        title = data.get("title", name)
        has_html = (folder / "index.html").is_file()
        page = f"[{title}]({BOARDS}/{name}/index.html)" if has_html else f"[{title}]({BOARDS}/{name}/index.md)"
        parts.append(f"## {name} {{#board-{name}}}\n")
        parts.append(f"**{page}**\n")
        if data.get("description"):
            parts.append(cell(data["description"]) + "\n")
        if not has_html:
            parts.append("(A board without an HTML page, such as a studies board: its README.md, with its figures.)\n")
    return "\n".join(parts)


def board_readme(folder: Path, root: Path = ROOT) -> tuple[str, list[Path]]:
    """A board without index.html (a studies board) as a site page: its README.md, and the figures it shows.
    A link to another board's README goes to that board's page; other links out of the board are named."""
    figures: list[Path] = []

    def fix(m):
        bang, text, target = m.group(1), m.group(2), m.group(3)
        if re.match(r"[a-z]+:|#", target):
            return m.group(0)
        path = (folder / target).resolve()
        if path.parent == folder.resolve() and path.suffix == ".png" and path.is_file():
            figures.append(path)
            return m.group(0)
        other = path.parent
        if path.name == "README.md" and other.parent == (root / BOARDS).resolve():
            if (other / "index.html").is_file():
                return f"{bang}[{text}](../{other.name}/index.html)"
            if (other / "board.json").is_file():
                return f"{bang}[{text}](../{other.name}/index.md)"
        return text if text.strip("`") == target else f"{text} (`{target}`)"

    text = re.sub(r"(!?)\[([^\]]+)\]\(([^)\s]+)\)", fix, (folder / "README.md").read_text())
    return text, sorted(set(figures))


# ---- top-level Markdown files


def top_file(name: str, root: Path = ROOT) -> str:
    """CHANGELOG.md or CONTRIBUTING.md for the site: links to docs/ pages made relative to docs/, links to
    other repository files turned into code (they are not part of the site)."""
    path = root / name
    if not path.is_file():
        return f"# {path.stem.title()}\n\n`{name}` is not written yet.\n"

    def fix(m):
        bang, text, target = m.group(1), m.group(2), m.group(3)
        if re.match(r"[a-z]+:|#", target):
            return m.group(0)
        if target.startswith("docs/"):
            return f"{bang}[{text}]({target[len('docs/') :]})"
        return text if text.strip("`") == target else f"{text} (`{target}`)"

    return re.sub(r"(!?)\[([^\]]+)\]\(([^)\s]+)\)", fix, path.read_text())
