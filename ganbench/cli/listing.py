"""`ganbench list [metrics|references|benchmarks]`: what can be asked for by name."""

from __future__ import annotations

import click


@click.command("list")
@click.argument("what", type=click.Choice(["metrics", "references", "benchmarks", "all"]), default="all")
def command(what):
    """List registered metrics, references and toy benchmarks."""
    if what in ("metrics", "all"):
        from ..metrics import list_metrics

        click.echo("metrics:")
        from ..metrics import METRICS

        for name, summary, ref in list_metrics():
            click.echo(f"  {name:<10} {summary}  [matches: {ref}]")
            opts = METRICS.get(name).options
            if opts:
                click.echo(f"  {'':<10} options: " + ", ".join(f"{k}={v}" for k, v in opts.items()))
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
