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

import inspect
import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = "<!-- quickstart: the two commands of README.md, inserted at build time -->"
TOP_FILES = {"changelog.md": "CHANGELOG.md", "contributing.md": "CONTRIBUTING.md"}
BOARDS = "leaderboards"  # the repository's folder of boards, and their place in the site


def _path():
    if str(ROOT) not in sys.path:  # the checkout's ganbench, not an installed copy
        sys.path.insert(0, str(ROOT))


# ---- small Markdown helpers


def _cell(text) -> str:
    """One Markdown table cell: no newlines, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return f"`{text}`"


def _table(header: tuple[str, ...], rows: Iterable[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _doc(text: str | None) -> str:
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


# ---- metrics


def _owner_doc(metric) -> str:
    """The docstring of the module that registers `metric` (or of its compute function's module)."""
    mods = [m for k, m in sorted(sys.modules.items()) if k.startswith("ganbench.metrics.") and m is not None]
    for mod in mods:
        if any(v is metric for v in vars(mod).values()):
            return _doc(mod.__doc__)
    mod = sys.modules.get(getattr(metric.compute, "__module__", ""), None)
    return _doc(getattr(mod, "__doc__", None) or getattr(metric.compute, "__doc__", None))


def _needs(m) -> list[str]:
    out = []
    if m.uses_ref:
        out.append("a reference set (`--ref`)")
    if "train" in m.needs:
        out.append("the training set (`--train`, required)")
    elif m.uses_train:
        out.append("the training set (`--train`), to look for copies of it")
    if "labels" in m.needs:
        out.append("class labels of both sides (`--labels`, `--ref-labels`, or found in the inputs)")
    if m.pairs is not None or "pairs" in m.needs:
        out.append("pairs: each output with its target (`--target`, `ganbench.evaluate_paired`)")
    return out or ["the samples alone"]


def _min_samples(m) -> str:
    try:
        from ganbench.metrics.base import with_defaults

        return str(m.min_samples(with_defaults({})))
    except Exception:  # noqa: BLE001 - a rule that needs more than the defaults is shown as such
        return "depends on the options"


def metric_section(name: str, m, aliases: list[str]) -> str:
    reads = "each output-target pair" if m.extractor == "pairs" else f"`{m.extractor}`"
    if m.extractor != "pairs":
        reads = f"[{reads}](extractors.md#{anchor('extractor', m.extractor)}): " + ", ".join(m.needs)
    rows = [
        ("summary", m.summary),
        ("aliases", ", ".join(f"`{a}`" for a in aliases) or "none"),
        ("better", m.better),
        ("reads", reads),
        ("needs", "; ".join(_needs(m))),
        ("matches", m.reference),
        ("minimum samples (default options)", _min_samples(m)),
    ]
    parts = [f"## `{name}` {{#{anchor('metric', name)}}}", "", _table(("property", "value"), rows), ""]
    if m.options:
        parts += [
            "Options (`-O KEY=VALUE` on the command line; `KEY=VALUE` keywords in Python):",
            "",
            _table(("option", "default"), [(f"`{k}`", _code(v)) for k, v in m.options.items()]),
            "",
        ]
    else:
        parts += ["No options of its own.", ""]
    doc = _owner_doc(m)
    if doc:
        parts += ["**From its module's docstring:**", "", doc, ""]
    return "\n".join(parts)


def metrics_page(metrics=None) -> str:
    if metrics is None:
        _path()
        from ganbench.metrics import METRICS as metrics
    entries = [(n, m) for n, m in metrics.items() if n == m.name]
    aliases: dict[str, list[str]] = {n: [] for n, _ in entries}
    for key, m in metrics.items():
        if key != m.name:
            aliases[m.name].append(key)
    index = _table(
        ("metric", "better", "feature space", "summary"),
        [(f"[`{n}`](#{anchor('metric', n)})", m.better, m.extractor, m.summary) for n, m in entries],
    )
    head = (
        "# Metrics\n\n"
        "Every metric in ganbench's registry (`ganbench.metrics.METRICS`; `ganbench list metrics` prints the same), "
        "generated from it when the site is built. A metric's options and their defaults are the ones it "
        "declares; the engine's own defaults are on [Defaults](defaults.md).\n\n"
    )
    return head + index + "\n\n" + "\n".join(metric_section(n, m, aliases[n]) for n, m in entries)


# ---- extractors


def extractor_section(name: str, info) -> str:
    rows = [
        ("summary", info.summary),
        ("aliases", ", ".join(f"`{a}`" for a in info.aliases) or "none"),
        ("outputs", ", ".join(f"`{k}` ({v}-d)" for k, v in info.outputs.items())),
        ("matches", info.reference),
        ("official weights", info.official_weights),
    ]
    parts = [f"## `{name}` {{#{anchor('extractor', name)}}}", "", _table(("property", "value"), rows), ""]
    spec = info.weights_spec() if info.weights_spec is not None else None
    if spec is None:
        parts += ["No weights file: nothing is downloaded.", ""]
        return "\n".join(parts)
    known = []
    for k in spec.known:
        where = [f"<{u}>" for u in k.urls]
        if k.packaged:
            where.append(f"`{k.packaged[1]}` in the `{k.packaged[0]}` package")
        known += [
            f"- **`{k.name}`**, published by {k.origin}: outputs {', '.join(k.outputs)}"
            + ("" if k.layout == "native" else f" ({k.layout}, converted once into the cache as safetensors)"),
            f"    - sha256 `{k.sha256}`",
            *(f"    - {w}" for w in where),
        ]
    order = [f"a file passed with `{spec.option}`", f"`{spec.env}`", "the cache"]
    if any(k.packaged for k in spec.known):
        order.append("an installed package that ships an official file")
    if any(k.urls for k in spec.known):
        order.append("the official URLs (each download sha256-checked, written atomically)")
    parts += [f"Weights are looked for in this order: {', '.join(order)}.", ""]
    if known:
        parts += [
            (
                "Official files, preferred first (a file with any other sha256 still loads, and every output "
                "computed with it says NOT official):"
            ),
            "",
            *known,
            "",
        ]
    else:
        parts += [
            (
                f"No official file is pinned yet, so nothing is downloaded (the cache is searched for "
                f"`{spec.cache_name}`)."
            ),
            "",
        ]
    if spec.hint:
        parts += [f"**Offline:** {spec.hint}.", ""]
    return "\n".join(parts)


def extractors_page(extractors=None) -> str:
    if extractors is None:
        _path()
        from ganbench.features.extractors import EXTRACTORS as extractors
    entries = [(n, e) for n, e in extractors.items() if n == e.name]
    index = _table(("extractor", "summary"), [(f"[`{n}`](#{anchor('extractor', n)})", e.summary) for n, e in entries])
    head = (
        "# Extractors and weights\n\n"
        "Every feature extractor in `ganbench.features.extractors.EXTRACTORS` (`ganbench list extractors`, and "
        "`ganbench list weights` for the file each would use on this machine), with its official weights. "
        "Generated when the site is built.\n\n"
    )
    return head + index + "\n\n" + "\n".join(extractor_section(n, e) for n, e in entries)


# ---- baselines


def baseline_section(name: str, b: dict) -> str:
    _path()
    from ganbench.train.options import changed, resolve

    src = b.get("source", {})
    params = src.get("params", {})
    paper = src.get("paper", "")
    if src.get("url"):
        paper = f"{paper} (<{src['url']}>)"
    rows = [
        ("description", b.get("description", "")),
        ("architecture", f"`{b['train']['arch']}`"),
        ("paper", paper),
        ("implementation it follows", src.get("implementation", "")),
        ("parameters", ", ".join(f"{k} {v:,}" for k, v in params.items()) or "not stated"),
        ("hyper-parameters (source)", src.get("hyperparameters", "")),
    ]
    if src.get("notes"):
        rows.append(("notes", src["notes"]))
    rows.append(("file", f"`baselines/{Path(b['file']).name}`"))
    cfg = resolve(b["train"], where=b["file"])
    parts = [f"## `{name}` {{#{anchor('baseline', name)}}}", "", _table(("property", "value"), rows), ""]
    parts += [
        "Training configuration (what differs from `ganbench train`'s defaults):",
        "",
        _table(("key", "value"), [(f"`{k}`", _code(v)) for k, v in changed(cfg).items()]),
        "",
    ]
    reported = b.get("reported", [])
    if reported:
        parts += [
            "Reported by its source:",
            "",
            _table(
                ("dataset", "metric", "value", "samples", "where"),
                [
                    (
                        r.get("dataset", ""),
                        r.get("metric", ""),
                        r.get("value", "") if r.get("std") is None else f"{r['value']} ± {r['std']}",
                        r.get("n_gen", ""),
                        r.get("where", ""),
                    )
                    for r in reported
                ],
            ),
            "",
        ]
    return "\n".join(parts)


def baselines_page(baselines=None) -> str:
    if baselines is None:
        _path()
        from ganbench.baselines import BASELINES as baselines
    entries = list(baselines.items())
    index = _table(
        ("baseline", "architecture", "description"),
        [(f"[`{n}`](#{anchor('baseline', n)})", f"`{b['train']['arch']}`", b["description"]) for n, b in entries],
    )
    head = (
        "# Baselines\n\n"
        "Every reference baseline: one TOML file each in `baselines/` (`ganbench.baselines.BASELINES`; "
        "`ganbench list baselines`), with its citation, parameter counts and every hyper-parameter. "
        "Generated when the site is built. `ganbench train NAME` trains one.\n\n"
    )
    return head + index + "\n\n" + "\n".join(baseline_section(n, b) for n, b in entries)


# ---- defaults


def defaults_page(defaults=None) -> str:
    if defaults is None:
        _path()
        from ganbench.defaults import DEFAULTS as defaults
    from ganbench.defaults import ENGINE

    rows = [(f"`{k}`", _code(defaults[k]), "engine" if k in ENGINE else "metric option") for k in defaults]
    return (
        "# Defaults\n\n"
        "The one table of defaults (`ganbench.defaults.DEFAULTS`), shared by the Python API and the command "
        "line: the engine's own, then every metric's options (declared by each metric, see "
        "[Metrics](metrics.md)). Generated when the site is built.\n\n"
        + _table(("key", "default", "kind"), rows)
        + "\n"
    )


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
            parts.append(_cell(data["description"]) + "\n")
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


# ---- the coverage check


def missing_sections(site_dir: Path, metrics=None, extractors=None, baselines=None) -> list[str]:
    """Every registered metric, extractor and baseline without its section in the built site."""
    _path()
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
    _path()  # mkdocs-click imports ganbench.cli: the checkout's, not an installed copy
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
