"""`ganbench leaderboard build RECORDS... --out DIR` and `ganbench leaderboard verify DIR`."""

from __future__ import annotations

import json
import sys

import click

from .options import check_output, json_option, write_output


@click.group("leaderboard")
def command():
    """Compile evaluation records into a reproducible board, and check a committed one."""


@command.command("build")
@click.argument("records", nargs=-1, type=click.Path())
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="The board folder: holds board.toml (and reported.toml); the generated files go here.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "latex"]),
    default="md",
    show_default=True,
    help="What to print: the Markdown table or the booktabs LaTeX table (both files are always written).",
)
@json_option
def build_command(records, out, fmt, json_path):
    """Build the board in --out from RECORDS (files or folders of `ganbench eval --json` records;
    default: --out/records)."""
    from ..leaderboards.build import build

    check_output(json_path, "board", "--json")
    files = build(list(records) or None, out)
    if fmt == "latex" and "board.tex" not in files:
        from ..errors import GanbenchError

        raise GanbenchError(f"{out} is a board of studies: it has no LaTeX table; pass --format md")
    text = files["board.tex" if fmt == "latex" else "README.md"].decode()
    board = json.loads(files["board.json"])
    summary = (
        f"\nwrote {', '.join(sorted(files))} to {out}: {len(board['rows'])} row(s), "
        f"{board['set_aside_count']} set aside"
    )
    write_output(json_path, files["board.json"].decode().rstrip("\n"), "board", table=text.rstrip("\n") + summary)


@command.command("verify")
@click.argument("board", type=click.Path(file_okay=False, exists=True))
@json_option
def verify_command(board, json_path):
    """Re-score each committed record's samples, check every record's sha256, and compare the board with
    a fresh build; exit 1 naming the row and metric (or file) when anything moved."""
    from ..leaderboards.verify import verify

    check_output(json_path, "verification", "--json")
    v = verify(board)
    write_output(json_path, json.dumps(v.to_dict(), indent=2), "verification", table=v.table())
    sys.exit(0 if v.ok else 1)
