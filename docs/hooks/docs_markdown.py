"""Markdown helpers of the docs hook (docs/hooks/reference.py): tables, docstrings as Markdown, section ids."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def use_checkout():
    if str(ROOT) not in sys.path:  # the checkout's ganbench, not an installed copy
        sys.path.insert(0, str(ROOT))


def cell(text) -> str:
    """One Markdown table cell: no newlines, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(value) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return f"`{text}`"


def table(header: tuple[str, ...], rows: Iterable[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def doc(text: str | None) -> str:
    """A docstring as Markdown: dedented, and a blank line before a list that follows a paragraph line
    (docstrings are written that way; Markdown needs the blank line to see the list)."""
    lines, out = inspect.cleandoc(text or "").splitlines(), []
    for line in lines:
        item = re.match(r"(- |\* |\d{1,2}\. )", line)
        if (
            item
            and out
            and out[-1].strip()
            and not re.match(r"\s*(- |\* |\d+\. )", out[-1])
            and not out[-1][:1].isspace()
        ):
            out.append("")
        out.append(line)
    # a `*` between two words (i*N//splits) is arithmetic, not emphasis; code spans are left alone
    parts = re.split(r"(`[^`]*`)", "\n".join(out))
    return "".join(p if p.startswith("`") else re.sub(r"(?<=[\w)\]])\*(?=[\w(\[])", r"\\*", p) for p in parts)


def anchor(kind: str, name: str) -> str:
    """The id of a registry entry's section: metric-fid, extractor-inception-v3-compat, baseline-dcgan."""
    return f"{kind}-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}"
