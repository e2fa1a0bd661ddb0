"""Options shared by several commands; their defaults come from ganbench.defaults."""

from __future__ import annotations

from pathlib import Path

import click

from ..defaults import DEFAULTS
from ..errors import GanbenchError


def extractor_options(f):
    f = click.option(
        "--weights-for",
        "weights_for",
        multiple=True,
        metavar="NAME=PATH",
        help="Weights of any extractor, e.g. --weights-for clip=ViT-B-32.pt (see `ganbench list "
        "extractors`; else its environment variable, the cache, the official URL).",
    )(f)
    f = click.option(
        "--weights",
        type=click.Path(dir_okay=False),
        default=None,
        help="Inception weights file (else $GANBENCH_INCEPTION_WEIGHTS, the cache, the official URL).",
    )(f)
    f = click.option(
        "--resize",
        type=click.Choice(["tf-legacy", "clean"]),
        default=DEFAULTS["resize"],
        show_default=True,
        help="tf-legacy: torch-fidelity/pytorch-fid protocol; clean: clean-fid's.",
    )(f)
    f = click.option(
        "--batch-size",
        type=click.IntRange(1),
        default=DEFAULTS["batch_size"],
        help="Images per batch (default: from the device and its free memory).",
    )(f)
    f = click.option(
        "--fast",
        is_flag=True,
        default=DEFAULTS["fast"],
        help="CUDA only: allow TF32 (faster; not the fp32 reference protocol, and marked so).",
    )(f)
    f = click.option("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when present).")(f)
    f = click.option(
        "--workers",
        "num_workers",
        type=click.IntRange(0),
        default=None,
        help="Image decoding processes (default: automatic).",
    )(f)
    f = click.option("--no-cache", is_flag=True, help="Neither read nor write the feature cache.")(f)
    return f


def json_option(f):
    return click.option(
        "--json",
        "json_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Write the full record to this file ('-' for stdout instead of the table).",
    )(f)


def check_output(path, what: str, option: str) -> None:
    """Refuse an unwritable output before the work that fills it."""
    from ..cache import check_writable

    if path and path != "-":
        check_writable(path, what, f"pass {option} a writable path")


def write_output(path, text: str, what: str, table: str = "", option: str = "--json") -> None:
    """Print `table` and write `text` to `path` ('-': print `text` instead). A write that fails still
    leaves the results on stdout, then one error line (naming `option`) and exit 2."""
    from ..cache import atomic_path

    if path == "-":
        click.echo(text)
        return
    if table:
        click.echo(table)
    if path:
        try:
            with atomic_path(Path(path)) as tmp:
                tmp.write_text(text + "\n")
        except OSError as e:
            raise GanbenchError(
                f"cannot write the {what} {path}: {e.strerror or e}; the results are printed "
                f"above: pass {option} a writable path"
            ) from None


def echo_notes(*sides) -> None:
    """Conversion and input notes of each (side, described) pair, on stderr: never silent."""
    for side, described in sides:
        for note in described.get("notes") or ():
            click.echo(f"ganbench: note: {side}: {note}", err=True)


def parse_metric_options(pairs) -> dict:
    """KEY=VALUE pairs of registered metric options, each converted to its default's type."""
    from ..metrics.base import metric_options

    known = metric_options()
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise GanbenchError(f"-O {pair}: expected KEY=VALUE with KEY one of {', '.join(sorted(known))}")
        default = known[key]
        try:
            if text.strip().lower() in ("none", "") and default is None:
                value = None
            elif isinstance(default, str):  # a named convention (paired_channel=y, lpips_net=vgg)
                value = text.strip().lower()
            elif isinstance(default, bool):
                value = {"true": True, "false": False, "1": True, "0": False}[text.strip().lower()]
            elif isinstance(default, int):
                value = int(text)
            else:
                value = float(text)
        except (ValueError, KeyError):
            kind = type(default).__name__ if default is not None else "a number or none"
            raise GanbenchError(f"-O {pair}: {text!r} is not a valid value for {key} (expected {kind})") from None
        out[key] = value
    return out


def parse_weights_for(pairs) -> dict:
    """NAME=PATH pairs -> {canonical extractor name: path}."""
    from ..features.extractors import canonical

    out = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not path:
            raise GanbenchError(f"--weights-for {pair}: expected NAME=PATH, e.g. --weights-for clip=ViT-B-32.pt")
        out[canonical(name.strip())] = path
    return out
