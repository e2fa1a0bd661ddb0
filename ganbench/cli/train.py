"""`ganbench train BASELINE --out DIR` / `ganbench train --resume DIR`: train a reference GAN."""

from __future__ import annotations

import json

import click

from .options import check_output, json_option, write_output


@click.command("train")
@click.argument("baseline", required=False)
@click.option("--out", "-o", type=click.Path(file_okay=False), default=None, help="New run folder.")
@click.option(
    "--resume",
    type=click.Path(file_okay=False),
    default=None,
    help="Continue this run folder from its last checkpoint (the config must not change).",
)
@click.option(
    "--data",
    default=None,
    help="cifar10, cifar10-test, ring, grid, stacked-digits, a folder, .npz or .npy (default: the baseline's).",
)
@click.option(
    "--key", default=None, help="Array of a multi-array --data .npz to train on (default: arr_0 or its only one)."
)
@click.option(
    "--labels",
    default=None,
    metavar="FILE|NAME",
    help="Class labels of --data (one per image) for conditional training: a file, or the name of an "
    "array of the --data .npz (e.g. train_labels).",
)
@click.option(
    "--steps",
    type=click.IntRange(1),
    default=None,
    help="Generator steps (default: the baseline's); with --resume, train a complete run further.",
)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Fixes every random draw.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any training option, e.g. --set ema=0.999 --set label_smoothing=0.1 (`ganbench list options`).",
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(1),
    default=None,
    help="Checkpoint (and sample grid) every this many steps [default: 1000].",
)
@click.option(
    "--checkpoint-minutes",
    type=click.FloatRange(0),
    default=None,
    help="Also checkpoint when this many minutes have passed since the last one (0: off) [default: 5].",
)
@click.option(
    "--eval-every",
    type=click.IntRange(0),
    default=None,
    help="Score a small sample every this many steps (0: off): FID/KID, or the toy mode metrics [default: 0].",
)
@click.option(
    "--grad-every",
    type=click.IntRange(0),
    default=None,
    help="Log G's and D's gradient norm per layer every this many steps (metrics.jsonl kind \"grads\", "
    "curves.png; 0: off); changes no trained number [default: 100].",
)
@click.option("--eval-n", type=click.IntRange(10), default=None, help="Samples per eval [default: 1000].")
@click.option(
    "--weights", type=click.Path(dir_okay=False), default=None, help="Inception weights for --eval-every on image data."
)
@click.option("--resize", is_flag=True, help="Resize --data images to the architecture's size.")
@click.option("--device", default=None, help="cpu, cuda, cuda:N (default: cuda when present).")
@click.option("--amp", type=click.Choice(["bf16"]), default=None, help="Mixed precision (bf16 autocast).")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile G and D.")
@json_option
def command(
    baseline,
    out,
    resume,
    data,
    key,
    labels,
    steps,
    seed,
    sets,
    checkpoint_every,
    checkpoint_minutes,
    eval_every,
    grad_every,
    eval_n,
    weights,
    resize,
    device,
    amp,
    compile_,
    json_path,
):
    """Train BASELINE (`ganbench list baselines`, or a .toml file) into --out; the same command under
    torchrun trains on every process, each on its slice of every batch. --resume continues a run with
    the options it was started with (those given again replace them where they change no number)."""
    from ..train import parse_sets, train

    check_output(json_path, "summary", "--json")
    summary = train(
        baseline,
        out=out,
        resume=resume,
        data=data,
        steps=steps,
        seed=seed,
        set=parse_sets(sets),
        checkpoint_every=checkpoint_every,
        checkpoint_minutes=checkpoint_minutes,
        eval_every=eval_every,
        grad_every=grad_every,
        eval_n=eval_n,
        weights=weights,
        device=device,
        amp=amp,
        compile=compile_ or None,
        resize=resize or None,
        labels=labels,
        key=key,
    )
    from .. import distributed

    if not distributed.is_main():
        return
    last = summary["last"]
    table = f"run {summary['run_dir']}: step {summary['step']}" + (
        ("" if "loss_d" not in last else f", loss_d {last['loss_d']:.4f}")  # srresnet has no D
        + f", loss_g {last['loss_g']:.4f}, {last['step_per_s']:.2f} step/s"
        if last
        else ""
    )
    write_output(json_path, json.dumps(summary, indent=2, sort_keys=True), "summary", table=table)
