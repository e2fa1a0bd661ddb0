"""The registries' reference pages: metrics, extractors (and their weights), baselines, defaults.

Each page is a function of its registry (`metrics_page(METRICS)` ...): the tests call them on a changed one."""

from __future__ import annotations

import sys
from pathlib import Path

from docs_markdown import anchor, code, doc, table, use_checkout

# ---- metrics


def _ownerdoc(metric) -> str:
    """The docstring of the module that registers `metric` (or of its compute function's module)."""
    mods = [m for k, m in sorted(sys.modules.items()) if k.startswith("ganbench.metrics.") and m is not None]
    for mod in mods:
        if any(v is metric for v in vars(mod).values()):
            return doc(mod.__doc__)
    mod = sys.modules.get(getattr(metric.compute, "__module__", ""), None)
    return doc(getattr(mod, "__doc__", None) or getattr(metric.compute, "__doc__", None))


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
    from ganbench.features.extractors import EXTRACTORS

    if m.extractor == "pairs":
        reads = "each output-target pair"
    elif m.extractor in EXTRACTORS:
        reads = f"[`{m.extractor}`](extractors.md#{anchor('extractor', m.extractor)}): " + ", ".join(m.needs)
    else:  # no feature space: ppl reads the generator itself
        reads = f"`{m.extractor}` itself (no extractor): " + ", ".join(m.needs)
    rows = [
        ("summary", m.summary),
        ("aliases", ", ".join(f"`{a}`" for a in aliases) or "none"),
        ("better", m.better),
        ("reads", reads),
        ("needs", "; ".join(_needs(m))),
        ("matches", m.reference),
        ("minimum samples (default options)", _min_samples(m)),
    ]
    parts = [f"## `{name}` {{#{anchor('metric', name)}}}", "", table(("property", "value"), rows), ""]
    if m.options:
        parts += [
            "Options (`-O KEY=VALUE` on the command line; `KEY=VALUE` keywords in Python):",
            "",
            table(("option", "default"), [(f"`{k}`", code(v)) for k, v in m.options.items()]),
            "",
        ]
    else:
        parts += ["No options of its own.", ""]
    doc = _ownerdoc(m)
    if doc:
        parts += ["**From its module's docstring:**", "", doc, ""]
    return "\n".join(parts)


def metrics_page(metrics=None) -> str:
    if metrics is None:
        use_checkout()
        from ganbench.metrics import METRICS as metrics
    entries = [(n, m) for n, m in metrics.items() if n == m.name]
    aliases: dict[str, list[str]] = {n: [] for n, _ in entries}
    for key, m in metrics.items():
        if key != m.name:
            aliases[m.name].append(key)
    index = table(
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
    parts = [f"## `{name}` {{#{anchor('extractor', name)}}}", "", table(("property", "value"), rows), ""]
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
        use_checkout()
        from ganbench.features.extractors import EXTRACTORS as extractors
    entries = [(n, e) for n, e in extractors.items() if n == e.name]
    index = table(("extractor", "summary"), [(f"[`{n}`](#{anchor('extractor', n)})", e.summary) for n, e in entries])
    head = (
        "# Extractors and weights\n\n"
        "Every feature extractor in `ganbench.features.extractors.EXTRACTORS` (`ganbench list extractors`, and "
        "`ganbench list weights` for the file each would use on this machine), with its official weights. "
        "Generated when the site is built.\n\n"
    )
    return head + index + "\n\n" + "\n".join(extractor_section(n, e) for n, e in entries)


# ---- baselines


def baseline_section(name: str, b: dict) -> str:
    use_checkout()
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
    parts = [f"## `{name}` {{#{anchor('baseline', name)}}}", "", table(("property", "value"), rows), ""]
    parts += [
        "Training configuration (what differs from `ganbench train`'s defaults):",
        "",
        table(("key", "value"), [(f"`{k}`", code(v)) for k, v in changed(cfg).items()]),
        "",
    ]
    reported = b.get("reported", [])
    if reported:
        parts += [
            "Reported by its source:",
            "",
            table(
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
        use_checkout()
        from ganbench.baselines import BASELINES as baselines
    entries = list(baselines.items())
    index = table(
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
        use_checkout()
        from ganbench.defaults import DEFAULTS as defaults
    from ganbench.defaults import ENGINE

    rows = [(f"`{k}`", code(defaults[k]), "engine" if k in ENGINE else "metric option") for k in defaults]
    return (
        "# Defaults\n\n"
        "The one table of defaults (`ganbench.defaults.DEFAULTS`), shared by the Python API and the command "
        "line: the engine's own, then every metric's options (declared by each metric, see "
        "[Metrics](metrics.md)). Generated when the site is built.\n\n" + table(("key", "default", "kind"), rows) + "\n"
    )
