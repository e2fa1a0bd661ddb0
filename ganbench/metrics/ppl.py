"""Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for GANs"): how much
a generator's image changes, in LPIPS-VGG, for a small step along a path between two latents.

Reference: NVlabs/stylegan2-ada-pytorch `metrics/perceptual_path_length.py` and `metrics/metric_main.py`
(commit d72cc7d041b42ec8e806021a205ed9349f87c6a4). For each pair i: z0, z1 standard normal; t uniform on
[0, 1) ("full") or 0 ("end"); in z space the points slerp(z0, z1, t) and slerp(z0, z1, t + epsilon) on the
unit sphere, in w space lerp(w0, w1, t) and lerp(w0, w1, t + epsilon) of the mapped latents (generators
with a mapping network only); both images made with the same noise; an optional crop (the reference's
FFHQ face crop, rows 3/8..7/8, columns 2/8..6/8); a box downsample to 256 px when larger; the pair's
LPIPS-VGG distance divided by epsilon^2. PPL is the mean of the distances between the 1st percentile
(numpy's "lower") and the 99th ("higher"), as the reference trims. torchmetrics 1.9.0's
`perceptual_path_length` takes its two quantiles both "lower" (`-O ppl_quantiles=torchmetrics`).

Where ganbench differs (none of it changes the expected value):
- LPIPS is the `lpips` package's LPIPS-VGG v0.1 (torchvision VGG16 + the wheel's linear layers,
  features/lpips_net.py), as torchmetrics uses; the reference runs NVIDIA's TorchScript port of the
  original TF LPIPS (vgg16.pt). Offline the backbone is random weights of the exact architecture, and
  the record says NOT official.
- The draws come from ganbench's counter-based streams per pair (latents, t, labels, noise), so the
  value does not depend on the batch size; the reference draws from torch's global generator per batch
  and shares one noise draw across a batch, here each pair has its own (the same for both images).
- An interval: percentile bootstrap over the per-pair distances, the trimming redone in each resample.
- The interpolation is done in float64 (the reference: float32), G then runs in its own dtype.

Agreement (tests/test_ppl.py): torchmetrics' per-pair distances and trimmed mean on the same G, latents and
LPIPS-VGG weights, 6e-8 relative; NVlabs' PPLSampler itself on a small StyleGAN2 G and its own draws
(benchmarks/reference/ppl_fixture.py, pixel L2 for its LPIPS), per pair within 6e-3, from its float32
interpolation (3.8e-5 when ganbench's is float32 too).

The generator is the input (no feature files): `ganbench.ppl(G)`, `ganbench.evaluate(G, metrics=["ppl"])`,
`ganbench eval RUN_DIR --metrics ppl` (ganbench/path_length.py). This module holds the metric's registration,
options and arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import GanbenchError
from .base import Metric, MetricValue, percentile_ci, register, with_defaults

EPSILON = 1e-4  # the reference's step, a fraction of the path
OPTIONS = {
    "ppl_space": "z",  # z (slerp) or w (lerp of the mapped latents; needs G.mapping and G.synthesis)
    "ppl_sampling": "end",  # end (t = 0) or full (t uniform on [0, 1))
    "ppl_epsilon": EPSILON,
    "ppl_crop": False,  # the reference's FFHQ crop (True in its ppl_zfull/wfull/zend/wend, False in ppl2_wend)
    "ppl_lower": 0.01,  # quantiles of the distances kept (0 and 1 keep all)
    "ppl_upper": 0.99,
    "ppl_quantiles": "stylegan2-ada",  # lower/higher as the reference; torchmetrics: lower/lower
}
QUANTILES: dict[str, Any] = {"stylegan2-ada": ("lower", "higher"), "torchmetrics": ("lower", "lower")}


def validate(opts: dict) -> None:
    o = with_defaults(opts)
    if o["ppl_space"] not in ("z", "w"):
        raise GanbenchError(f"-O ppl_space={o['ppl_space']}: expected z or w (w needs a mapping network)")
    if o["ppl_sampling"] not in ("end", "full"):
        raise GanbenchError(f"-O ppl_sampling={o['ppl_sampling']}: expected end (t = 0) or full (t uniform)")
    if not 0 < float(o["ppl_epsilon"]) < 1:
        raise GanbenchError(f"-O ppl_epsilon={o['ppl_epsilon']}: the step is a fraction of the path, in (0, 1)")
    if not 0 <= float(o["ppl_lower"]) <= float(o["ppl_upper"]) <= 1:
        raise GanbenchError(
            f"-O ppl_lower={o['ppl_lower']} ppl_upper={o['ppl_upper']}: pass quantiles 0 <= lower <= upper <= 1"
        )
    if o["ppl_quantiles"] not in QUANTILES:
        raise GanbenchError(f"-O ppl_quantiles={o['ppl_quantiles']}: expected {' or '.join(QUANTILES)}")


def slerp(a, b, t):
    """The point at fraction t of the great circle from a/|a| to b/|b| (rows of a, b; t a column), unit length."""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    d = (a * b).sum(dim=-1, keepdim=True)
    p = t * torch_acos(d)
    c = b - d * a
    c = c / c.norm(dim=-1, keepdim=True)
    out = a * p.cos() + c * p.sin()
    return out / out.norm(dim=-1, keepdim=True)


def torch_acos(d):
    return d.clamp(-1, 1).acos()  # rounding can put a dot product of unit vectors a hair above 1


def kept(dist: np.ndarray, opts: dict) -> np.ndarray:
    """Which distances lie between the ppl_lower and ppl_upper quantiles (the reference's trimming)."""
    o = with_defaults(opts)
    lo_m, hi_m = QUANTILES[o["ppl_quantiles"]]
    lo = np.quantile(dist, float(o["ppl_lower"]), method=lo_m)
    hi = np.quantile(dist, float(o["ppl_upper"]), method=hi_m)
    return (dist >= lo) & (dist <= hi)


def trimmed_mean(dist: np.ndarray, opts: dict) -> float:
    return float(dist[kept(dist, opts)].mean())


def summarise(dist, opts: dict, rng=None) -> MetricValue:
    """PPL of the per-pair distances; with bootstrap, a percentile interval over resampled pairs."""
    o = with_defaults(opts)
    d = np.asarray(dist, dtype=np.float64)
    if not np.isfinite(d).all():
        raise GanbenchError(
            f"ppl: {int((~np.isfinite(d)).sum())} of {len(d)} distances are not finite: the generator gave "
            f"nan or inf images; check G on its latents"
        )
    value = trimmed_mean(d, o)
    out = MetricValue(value, std=float(d.std()), std_of="spread of the per-pair distances (untrimmed)")
    if o["bootstrap"] and rng is not None and len(d) > 1:
        reps = [trimmed_mean(d[rng.integers(0, len(d), len(d))], o) for _ in range(int(o["bootstrap"]))]
        out.ci = percentile_ci(reps, o["confidence"])
        out.ci_method = "percentile bootstrap over resampled pairs (trimmed again in each)"
    extra: dict[str, Any] = {
        "per_pair": [float(x) for x in d],
        "kept": int(kept(d, o).sum()),
        "conventions": {k: o[k] for k in OPTIONS},
    }
    out.extra = extra
    return out


def _from_files(*_args, **_kwargs):
    raise GanbenchError(
        "ppl walks the generator's latent space: pass the generator, not images (ganbench.ppl(G), "
        "ganbench.evaluate(G, metrics=['ppl']) or `ganbench eval RUN_DIR --metrics ppl`)"
    )


METRIC = register(
    Metric(
        name="ppl",
        summary="perceptual path length: LPIPS-VGG change per small latent step / eps^2, z (slerp) or w (lerp), "
        "end or full sampling, 1st-99th percentile trimmed (lower is better; needs the generator)",
        reference="stylegan2-ada-pytorch metrics/perceptual_path_length.py; torchmetrics 1.9.0 perceptual_path_length",
        needs=("generator",),
        uses_ref=False,
        min_samples=lambda opts: 2,
        compute=_from_files,
        options=OPTIONS,
        validate=validate,
        extractor="generator",
        better="lower",
    )
)
