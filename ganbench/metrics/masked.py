"""Paired metrics on a hole only (inpainting): each output is first completed, its hole pixels kept and
every other pixel taken from the target (composite), so nothing outside the hole can count; then

- psnr: 10 log10(R^2 / MSE), the MSE over the hole's pixels and channels only;
- ssim: the SSIM map at every pixel (the images mirrored at the border, scipy's 'reflect', as
  scikit-image's structural_similarity(full=True)), averaged over the hole's pixels and the channels;
  windows straddling the hole's edge see context as well (the same for every method, as in the target);
- lpips: LPIPS of the whole completed image against the target: it differs from the target in the
  hole only (a 16x16 crop is too small for AlexNet: its second max-pool has nothing left to pool).

FID/KID of an inpainting run (`--metrics fid`) score the completed images as well: outside the hole
the input (which equals the target there), inside it the output. The mask is (N, H, W) booleans, True
in the hole: the `mask` of `ganbench data inpainting`'s .npz, read with the targets or given by --mask.
"""

from __future__ import annotations

import numpy as np

from ..errors import GanbenchError
from . import paired
from .base import with_defaults

DEFINITIONS = {
    "psnr": "10 log10(R^2 / MSE) with the MSE over the hole's pixels (all channels) only",
    "ssim": "SSIM map at every pixel (border mirrored, scikit-image full=True) of the completed image against the "
    "target, averaged over the hole's pixels and the channels",
    "lpips": "LPIPS of the completed image (target outside the hole, output inside) against the target",
}


def composite(outputs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The output inside the hole, the target everywhere else."""
    return np.where(np.asarray(mask, bool)[..., None], outputs, targets)


def check(opts: dict, names) -> None:
    opts = with_defaults(opts)
    if opts["paired_crop"]:
        raise GanbenchError(
            f"-O paired_crop={opts['paired_crop']} with a mask: the hole is scored as it is; "
            "leave the border crop out (0)"
        )
    unknown = [n for n in names if n not in DEFINITIONS]
    if unknown:
        raise GanbenchError(
            f"{unknown[0]} has no masked form: with a mask, score psnr, ssim, lpips "
            "(and fid/kid of the completed images)"
        )


def _hole(mask: np.ndarray, channels: int) -> np.ndarray:
    return np.repeat(np.asarray(mask, bool)[:, None], channels, axis=1)


def psnr(outputs, targets, mask, opts) -> np.ndarray:
    opts = with_defaults(opts)
    a, b = paired.prepare(outputs, opts), paired.prepare(targets, opts)
    m = _hole(mask, a.shape[1])
    mse = (((a - b) ** 2) * m).reshape(len(a), -1).sum(1) / m.reshape(len(a), -1).sum(1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(opts["paired_data_range"]) ** 2 / mse)


def ssim(outputs, targets, mask, opts) -> np.ndarray:
    from .ssim import ssim_map

    opts = with_defaults(opts)
    a = paired.prepare(composite(outputs, targets, mask), opts)
    b = paired.prepare(targets, opts)
    s = ssim_map(a, b, opts, same=True).numpy()
    m = _hole(mask, a.shape[1])
    return (s * m).reshape(len(a), -1).sum(1) / m.reshape(len(a), -1).sum(1)


def lpips(outputs, targets, mask, opts) -> np.ndarray:
    from .lpips import network

    return network(opts)(composite(outputs, targets, mask), targets)


MASKED = {"psnr": psnr, "ssim": ssim, "lpips": lpips}
