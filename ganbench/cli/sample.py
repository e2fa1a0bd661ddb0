"""`ganbench sample RUN -n N -o OUT`: seeded samples of a trained run; `ganbench sample RUN --input IMAGES
-o OUT`: an image-to-image run's outputs for the input images (train/translate.py)."""

from __future__ import annotations

import json

import click

from .options import check_output, json_option, write_output


@click.command("sample")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-n", "n", type=click.IntRange(1), default=50000, show_default=True)
@click.option("-o", "--out", required=True, type=click.Path(), help="OUT.npz, or a new folder for PNGs.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Sampling seed.")
@click.option("--checkpoint", default="last", show_default=True, help="last, best, or a step number.")
@click.option("--ema/--no-ema", default=None, help="G's EMA weights (default: when the run has them).")
@click.option("--batch-size", type=click.IntRange(1), default=500, show_default=True)
@click.option("--device", default=None)
@click.option(
    "--classes",
    default=None,
    metavar="uniform|0,3,7",
    help="A conditional run: sample these classes in turn (uniform: all, equal counts) instead of at "
    "random; the labels go to OUT.npz's `labels` array, or one subfolder per class.",
)
@click.option(
    "--truncation",
    type=float,
    default=None,
    metavar="PSI",
    help="StyleGAN2 runs: the truncation trick, w = w_avg + PSI (w - w_avg) (e.g. 0.7; 1: none).",
)
@click.option(
    "--input",
    "input_",
    default=None,
    type=click.Path(),
    metavar="IMAGES",
    help="An image-to-image run (pix2pix): translate these inputs (a folder, .npz or .npy; a paired "
    ".npz's `inputs`) instead of sampling; a folder's outputs keep the inputs' file names.",
)
@click.option("--key", default=None, help="With --input: the array of a multi-array .npz to translate.")
@click.option(
    "--direction",
    default=None,
    metavar="AB|BA",
    help="With --input, an unpaired run (CycleGAN): AB translates A -> B with G_AB (default), BA B -> A.",
)
@click.option(
    "--test-norm",
    type=click.Choice(["running", "input"]),
    default=None,
    help="With --input: batch norm's running statistics (model.eval()), or each input's own, as with a batch "
    "of one (pix2pix's paper); default: the run's test_norm.",
)
@json_option
def command(
    run_dir,
    n,
    out,
    seed,
    checkpoint,
    ema,
    batch_size,
    device,
    classes,
    truncation,
    input_,
    key,
    direction,
    test_norm,
    json_path,
):
    """Write N samples of RUN_DIR's generator to OUT; the same run, checkpoint and seed give the same bytes.
    A conditional run's samples are written with their classes. With --input, an image-to-image run's
    outputs for those input images."""
    from ..train import sample

    check_output(json_path, "summary", "--json")
    check_output(out if str(out).lower().endswith(".npz") else f"{out}/0.png", "samples", "-o")  # before sampling
    if input_ is not None:
        from click.core import ParameterSource

        ctx = click.get_current_context()
        given = [
            f"--{p.replace('_', '-')}"
            for p in ("n", "seed", "classes", "truncation")
            if ctx.get_parameter_source(p) == ParameterSource.COMMANDLINE
        ]
        if given:
            from ..errors import GanbenchError

            raise GanbenchError(
                f"{', '.join(given).replace('--n', '-n')}: not used with --input (one output per "
                "input image, no latents): leave it out"
            )
        from ..train.translate import translate_run

        _outputs, info = translate_run(
            run_dir,
            input_,
            out,
            key=key,
            checkpoint=checkpoint,
            ema=ema,
            batch_size=batch_size,
            device=device,
            direction=direction,
            test_norm=test_norm,
        )
        info = {**info, "out": str(out)}
        way = f" {info['direction'][0]} -> {info['direction'][1]}" if "direction" in info else ""
        table = (
            f"{info['n']}{way} outputs of {info['baseline']} step {info['step']} ({'EMA' if info['ema'] else 'raw'} G) "
            f"for {input_} -> {out}"
        )
        write_output(json_path, json.dumps(info, indent=2, sort_keys=True), "summary", table=table)
        return
    for given, what in ((direction, "--direction"), (test_norm, "--test-norm")):
        if given is not None:
            from ..errors import GanbenchError

            raise GanbenchError(f"{what}: only with --input (an image-to-image run's outputs): leave it out")
    _samples, info = sample(
        run_dir,
        n,
        seed=seed,
        checkpoint=checkpoint,
        ema=ema,
        out=out,
        batch_size=batch_size,
        device=device,
        classes=classes,
        truncation=truncation,
    )
    labels = info.pop("labels")
    info = {**info, "out": str(out)}
    if labels is not None:
        import numpy as np

        info["class_counts"] = {str(int(c)): int(k) for c, k in zip(*np.unique(labels, return_counts=True))}
    table = (
        f"{n} samples of {info['baseline']} step {info['step']} ({'EMA' if info['ema'] else 'raw'} G, "
        f"seed {seed}) -> {out}"
    )
    write_output(json_path, json.dumps(info, indent=2, sort_keys=True), "summary", table=table)
