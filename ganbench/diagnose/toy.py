"""`diagnose` on the toy benchmarks: 2-D points (ring, grid) and stacked digits, scored by ganbench.toydata."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import GanbenchError
from . import report
from .output import check_out_dir, header


def _points(samples) -> Optional[np.ndarray]:
    """`samples` as (N, 2) points if it is such an array or .npy/.npz file, else None."""
    if isinstance(samples, np.ndarray):
        arr = samples
    elif (
        isinstance(samples, (str, os.PathLike))
        and Path(samples).suffix.lower() in (".npy", ".npz")
        and Path(samples).is_file()
    ):
        from ..toydata import load_array

        arr = load_array(samples)
    else:
        return None
    return arr if arr.ndim == 2 and arr.shape[1] == 2 else None


def toy_benchmark_for(samples, ref, benchmark: Optional[str]) -> Optional[str]:
    """The toy benchmark to score `samples` with, or None for the image diagnostics."""
    if benchmark is not None:
        return benchmark
    if _points(samples) is None:
        return None
    from ..toydata import list_benchmarks

    if isinstance(ref, str) and ref in list_benchmarks():
        return ref
    raise GanbenchError(
        "the samples are 2-D points: say which toy benchmark they come from with --benchmark ring or --benchmark grid"
    )


def diagnose_toy(name: str, samples, out_dir=None, *, seed: int = 0) -> dict:
    """Score `samples` on toy benchmark `name` with ganbench.toydata; report a scatter for 2-D ones."""
    from .. import toydata
    from ..toydata.mixtures import MIXTURES

    out = check_out_dir(out_dir)
    bench = toydata.BENCHMARKS.get(name)
    data = toydata.load_array(samples)
    score = toydata.score(name, data)
    res = {
        **header(None),
        "benchmark": name,
        "kind": bench.kind,
        "inputs": {"samples": str(samples) if not isinstance(samples, np.ndarray) else "array"},
        "options": {"seed": seed},
        "score": score,
    }
    if out is not None:
        centres = MIXTURES[name].centres if name in MIXTURES else None
        ref_pts = toydata.make(name, min(len(data), bench.default_n), seed)[0] if bench.kind == "points" else None
        report.write_html(report.toy_report(res, data, centres, ref_pts), out / "index.html")
        report.write_json(res, out / "diagnostics.json")
    return report.to_jsonable(res)
