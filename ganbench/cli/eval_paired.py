"""`ganbench eval OUTPUTS --target TARGETS`: the paired path of `eval` (ganbench/paired.py), and the
flags that only it, or only the unpaired path, takes."""

from __future__ import annotations

import click

from ..errors import GanbenchError
from .options import check_output, echo_notes, write_output


def check_paired_flags(target, train, html_path, mask) -> None:
    """--html and --mask need --target; --train is for the unpaired metrics, not with --target."""
    if html_path is not None and target is None:
        raise GanbenchError(
            "--html shows the worst pairs of a paired evaluation: pass --target TARGETS "
            "(`ganbench diagnose` writes the report of an unpaired one)"
        )
    if target is not None and train is not None:
        raise GanbenchError(
            "--train reads a training set for unpaired metrics (ct, authpct, mifid, ...): leave it "
            "out with --target, or score the outputs unpaired with --ref"
        )
    if mask is not None and target is None:
        raise GanbenchError("--mask scores inpainting outputs against their targets: add --target TARGETS")


def paired(outputs, target, ref, metrics, key, target_key, lpips_weights, device, batch_size, json_path, html_path, kw):
    """Score each output against its target; print the table, write the record and the --html report."""
    from ..paired import evaluate_paired

    if ref is not None:
        raise GanbenchError(
            "--target and --ref: the outputs are compared with their targets (FID/KID too, when "
            "--metrics names them); pass one of them"
        )
    check_output(html_path, "report", "--html")
    from ..paired import _inpainting_npz

    if target_key is None and _inpainting_npz(target):
        target_key = "targets"  # `ganbench data inpainting`'s pairs: their targets, and their mask
    result = evaluate_paired(
        outputs,
        target,
        metrics,
        key=key,
        target_key=target_key,
        lpips_weights=lpips_weights,
        device=device,
        batch_size=batch_size,
        **kw,
    )
    for w in result.warnings:
        click.echo(f"ganbench: warning: {w}", err=True)
    echo_notes(("outputs", result.provenance["samples"]), ("targets", result.provenance["reference"]))
    write_output(json_path, result.to_json(), "record", table=result.table(warnings=False))
    if html_path is not None:
        from ..diagnose.pairs import write_report

        write_report(result, outputs, target, html_path, key=key, target_key=target_key, mask=kw.get("mask"))
