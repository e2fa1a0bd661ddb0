"""The package reads as its data flow: no module imports a layer above its own (issue 10).

Layers, lowest first. Leaf utilities import only each other. `stats` (the float64 moment arithmetic)
sits below `features` because features stream into it while they are extracted; the layer that
reads a statistics file is `features` (features/files.py), so there is no cycle. The one upward
import is `defaults` reading the metric registry, lazily, to derive the one defaults table from
each metric's declared options.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "ganbench"
LAYERS = [
    {
        "errors",
        "registry",
        "version",
        "progress",
        "cache",
        "device",
        "distributed",
        "defaults",
        "locks",
        "streams",
        "annotations",
    },
    {"inputs", "toydata", "baselines"},  # baselines: the model code, beside the data it trains on
    {"stats"},
    {"features"},
    {"metrics"},
    {"records", "comparability"},  # comparability: whether two records can be compared
    {"engine", "plan", "sides", "streaming", "paired", "path_length"},  # streaming: Metrics, evaluate(G); paired:
    # outputs vs targets; path_length: ppl of a generator
    {"diagnose"},
    {"train"},  # training calls the engine (eval-every); nothing in the eval engine imports it
    {"gates", "leaderboards", "testing"},  # read records and runs; quality gates sample runs
    {"cli", "__main__", ""},  # "" is the package's own __init__ (its lazy public API)
]
ALLOWED_UP = {("defaults", "metrics")}
MAX_LINES = 330  # "about 300": a module past this is due for a split


def _layer(top: str) -> int:
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"ganbench.{top} is in no layer: add it to LAYERS in {__file__}")


def _imports(path: Path):
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            if not target and not node.module:  # `from . import x` at the top: x is the module
                target = [node.names[0].name]
            yield node.lineno, target
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganbench"):
            yield node.lineno, node.module.split(".")[1:]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("ganbench"):
                    yield node.lineno, a.name.split(".")[1:]


def _top(parts) -> str:
    return parts[0] if parts else ""


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).with_suffix("").parts
        here = "" if rel == ("__init__",) else rel[0]
        for line, target in _imports(path):
            there = _top(target)
            if there == here or (here, there) in ALLOWED_UP:
                continue
            if _layer(there) > _layer(here) or (_layer(here) == 0 and _layer(there) != 0):
                wrong.append(f"{path.relative_to(PKG.parent)}:{line} imports ganbench.{'.'.join(target)}")
    assert not wrong, "imports against the data flow:\n" + "\n".join(wrong)


def test_modules_stay_small():
    big = {
        str(p.relative_to(PKG.parent)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not big, f"modules over {MAX_LINES} lines: {big}"
