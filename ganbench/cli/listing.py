"""`ganbench list [metrics|references|benchmarks]`: what can be asked for by name."""

from __future__ import annotations

import click


@click.command("list")
@click.argument(
    "what",
    type=click.Choice(["metrics", "extractors", "weights", "references", "benchmarks", "baselines", "options", "all"]),
    default="all",
)
def command(what):
    """List registered metrics, feature extractors, which weights file each extractor output would use
    (and whether it is official), references, toy benchmarks, baselines and training options."""
    if what in ("metrics", "all"):
        from ..metrics import list_metrics

        click.echo("metrics:")
        from ..metrics import METRICS

        for name, summary, ref in list_metrics():
            m = METRICS.get(name)
            click.echo(f"  {name:<10} {summary}  [reads {m.extractor}: {', '.join(m.needs)}; matches: {ref}]")
            opts = m.options
            if opts:
                click.echo(f"  {'':<10} options: " + ", ".join(f"{k}={v}" for k, v in opts.items()))
    if what in ("extractors", "all"):
        from ..features.extractors import EXTRACTORS

        click.echo("extractors:")
        for name, info in EXTRACTORS.items():
            if name == info.name:
                outs = ", ".join(f"{k} {v}-d" for k, v in info.outputs.items())
                alias = f" (alias: {', '.join(info.aliases)})" if info.aliases else ""
                click.echo(
                    f"  {name:<20} {info.summary}{alias}\n  {'':<20} outputs: {outs}; matches: "
                    f"{info.reference}\n  {'':<20} official weights: {info.official_weights}"
                )
    if what in ("weights", "all"):
        from ..features.extractors import EXTRACTORS
        from ..features.weightfiles import outputs_report

        click.echo("weights (what each output would be computed with now; nothing is downloaded):")
        for name, info in EXTRACTORS.items():
            if name == info.name and info.weights_spec is not None:
                for out, where, official in outputs_report(info.weights_spec(), info.outputs):
                    click.echo(f"  {name:<20} {out:<8} {'official' if official else 'NOT official':<13}{where}")
    if what in ("references", "all"):
        from ..inputs import references

        click.echo("references:")
        for name, entry in references.REFERENCES.items():
            if name == entry.name:
                alias = f" (alias: {', '.join(entry.aliases)})" if entry.aliases else ""
                click.echo(f"  {name:<13} {entry.description}{alias}")
    if what in ("benchmarks", "all"):
        from .. import toydata

        click.echo("benchmarks:")
        for name in toydata.list_benchmarks():
            click.echo(f"  {name}")
    if what in ("baselines", "all"):
        from ..baselines import BASELINES
        from ..train.options import changed, resolve

        click.echo("baselines:")
        for name, b in BASELINES.items():
            cfg = resolve(b["train"], where=b["file"])
            src = b["source"]  # the config alone: listing builds no model, so it needs no torch
            click.echo(f"  {name:<15} {b['description']}")
            click.echo(
                f"  {'':<15} arch {cfg['arch']} (equals {src.get('implementation')}); "
                f"params G {src.get('params', {}).get('G')}"
                f", D {src.get('params', {}).get('D')}"
            )
            click.echo(f"  {'':<15} paper: {src.get('paper')}")
            click.echo(f"  {'':<15} hyper-parameters: {src.get('hyperparameters')}")
            click.echo(f"  {'':<15} config: " + ", ".join(f"{k}={v}" for k, v in changed(cfg).items() if k != "arch"))
    if what in ("options", "all"):
        from ..train.options import OPTIONS

        click.echo("training options (--set KEY=VALUE):")
        for key, o in OPTIONS.items():
            click.echo(f"  {key:<16} {o.help} [{o.valid}; default {o.default!r}]")
