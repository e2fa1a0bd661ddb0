"""Every error hint that names an option names one the command has (issue 20: `train --data x.npz`
told the user to pass --key, which `train` did not have).

The hints are read from the source: each string in a `raise`, or in a GanbenchError / warn / note
call. An option inside a quoted command (`ganbench CMD ... --opt`) must be one of CMD's; any other
must be an option of every command the module serves (SERVES below, by module path; a shared module
of the engine serves `eval`, whose options it names). Hints built at run time (sides.check_counts
names the option through the caller) are tested where they are raised."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

import ganbench
from ganbench.cli import cli

ROOT = Path(ganbench.__file__).parent
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
QUOTED = re.compile(r"`ganbench ([a-z-]+)([^`]*)`")
FOREIGN = re.compile(r"\b(pytorch-fid|torchrun|pip)( --?[a-z][a-z0-9-]*)+")  # another program's options
SERVES = [  # (path prefix, commands); the first that matches
    ("cli/options.py", ("eval", "compare", "check")),
    ("cli/eval_paired.py", ("eval",)),  # `eval --target`'s path
    ("cli/", None),  # the commands the module defines
    ("train/sampling.py", ("sample",)),
    ("train/translate.py", ("sample",)),
    ("toydata/paired.py", ("data",)),
    ("toydata/inpainting.py", ("data",)),  # read_mask names its caller's option (where=)
    ("toydata/superres.py", ("data",)),
    ("toydata/unpaired.py", ("data",)),
    ("train/__init__.py", ("eval",)),
    ("train/", ("train",)),
    ("baselines/", ("train",)),  # architectures are built when a baseline is trained
    ("gates/check.py", ("check",)),
    ("gates/", ("compare", "check")),
    ("diagnose/", ("diagnose",)),
    ("leaderboards/", ("leaderboard",)),
    ("inputs/", ("eval", "stats", "diagnose", "train", "compare", "check")),  # every command that reads images
    ("", ("eval",)),
]


def _options(cmd: click.Command) -> set:
    if isinstance(cmd, click.Group):
        return set().union(*(_options(c) for c in cmd.commands.values()))
    return {o for p in cmd.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}


OPTIONS = {name: _options(cmd) for name, cmd in cli.commands.items()}


def _commands_of(path: Path) -> tuple:
    rel = path.relative_to(ROOT).as_posix()
    for prefix, commands in SERVES:
        if rel.startswith(prefix):
            if commands is None:
                module = "ganbench." + rel[:-3].replace("/", ".")
                return tuple(
                    n
                    for n, c in cli.commands.items()
                    if c.callback.__module__ == module
                    or any(getattr(s.callback, "__module__", "") == module for s in getattr(c, "commands", {}).values())
                )
            return commands
    raise AssertionError(rel)


def _messages(tree):
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc
        elif isinstance(node, ast.Call):
            f = node.func
            if (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")) in ("warn", "note", "GanbenchError"):
                target = node
        if target is not None:
            text = "".join(_text(n) for n in ast.walk(target) if isinstance(n, (ast.Constant, ast.JoinedStr)))
            if text:
                yield node.lineno, text


def _text(node) -> str:
    """A string as it reads, with X for each formatted value (so f"{n}-d" is not an option -d)."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and not getattr(node, "_in_fstring", False):
        return node.value
    return ""


def _mark_fstring_parts(tree) -> None:
    for n in ast.walk(tree):
        if isinstance(n, ast.JoinedStr):
            for v in n.values:
                v._in_fstring = True


def hints():
    seen = set()
    for path in sorted(ROOT.rglob("*.py")):
        commands = _commands_of(path)
        tree = ast.parse(path.read_text())
        _mark_fstring_parts(tree)
        for line, text in _messages(tree):
            text = FOREIGN.sub("", text)
            found = [((cmd,), opt) for cmd, quoted in QUOTED.findall(text) for opt in OPTION.findall(quoted)]
            found += [(commands, opt) for opt in OPTION.findall(QUOTED.sub("", text))]
            for cmds, opt in found:
                where = f"{path.relative_to(ROOT)}:{line}"
                if (where, cmds, opt) not in seen:  # a raise and the call inside it are one message
                    seen.add((where, cmds, opt))
                    yield where, cmds, opt, text


ALL = list(hints())


def test_the_walker_finds_the_hints():
    found = {(where.split(":")[0], opt) for where, _c, opt, _t in ALL}
    assert ("inputs/arrays.py", "--key") in found and ("train/session.py", "--checkpoint-every") in found
    assert len(ALL) > 50


@pytest.mark.parametrize("where,commands,option,text", ALL, ids=[f"{w} {o}" for w, _c, o, _t in ALL])
def test_every_hinted_option_exists_in_its_command(where, commands, option, text):
    assert commands, f"{where}: no command found for this module"
    for cmd in commands:
        assert cmd in OPTIONS, f"{where}: names `ganbench {cmd}`, which does not exist"
        assert option in OPTIONS[cmd], f"{where}: `ganbench {cmd}` has no {option}, but its error says: {text!r}"
