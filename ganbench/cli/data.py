"""`ganbench data NAME -n N -o OUT [--seed S]`: write a seeded mode-collapse benchmark data set.

.npy holds the samples only; .npz holds them as arr_0 plus their true component / mode as `labels`.
"""

from __future__ import annotations

import click

from ..errors import GanbenchError
from .options import check_output


@click.command("data")
@click.argument("name", required=False)
@click.option("-n", "--num", "n", type=int, default=None,
              help="Number of samples [default: the benchmark's protocol, 2500 or 26000].")
@click.option("-o", "--output", type=click.Path(), default=None, help="Output file, .npy or .npz.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--list", "list_", is_flag=True, help="List the benchmark data sets and exit.")
def command(name, n, output, seed, list_):
    """Write benchmark data set NAME (ring, grid, stacked-digits) to a .npy / .npz file."""
    from .. import toydata

    if list_:
        for key, bench in toydata.BENCHMARKS.items():
            click.echo(f"{key:<16}{bench.description}; {bench.kind}, default n {bench.default_n}")
        return
    known = ", ".join(toydata.list_benchmarks())
    if name is None:
        raise GanbenchError(f"no data set name given: give one of {known} (or --list)")
    bench = toydata.BENCHMARKS.get(name)
    if output is None:
        raise GanbenchError(f"no output file: add -o {name}.npy (or .npz to keep the labels)")
    check_output(output, "data set", "-o")
    data, labels = toydata.make(name, n, seed)
    path = toydata.save_dataset(output, data, labels)
    click.echo(f"wrote {len(data)} {name} {bench.kind} (seed {seed}) to {path}")
