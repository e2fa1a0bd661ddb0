"""Resizing to the extractor's 299x299 input, in the two protocols the field uses.

- ``tf-legacy`` (default; torch-fidelity, pytorch-fid, the original TF FID code): TensorFlow 1.x
  ``resize_bilinear`` with ``align_corners=False``: source coordinate = dst * (in / out), no
  half-pixel offset, indices clamped at the border. Runs on the device, in NHWC.
- ``clean`` (clean-fid's ``mode="clean"``, Parmar et al. 2022): PIL bicubic on each channel as a
  float32 image, clipped to [0, 255], no re-quantisation. Runs on the CPU, per image.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

RESIZE_MODES = ("tf-legacy", "clean")


@functools.lru_cache(maxsize=32)
def _tf_legacy_matrix(in_size: int, out_size: int) -> torch.Tensor:
    """(out, in) interpolation matrix; float32 positions computed the way TF 1.x does."""
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    src = torch.arange(out_size, dtype=torch.float32) * scale
    lo = src.long()
    hi = (lo + 1).clamp_max(in_size - 1)
    frac = src - lo.float()
    m = torch.zeros(out_size, in_size, dtype=torch.float32)
    rows = torch.arange(out_size)
    m.index_put_((rows, lo), 1 - frac, accumulate=True)
    m.index_put_((rows, hi), frac, accumulate=True)
    return m


def resize_tf_legacy(x: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of float (N,C,H,W) to (N,C,size,size) as TF 1.x does it."""
    n, c, h, w = x.shape
    if (h, w) == (size, size):
        return x
    my = _tf_legacy_matrix(h, size).to(device=x.device, dtype=x.dtype)
    mx = _tf_legacy_matrix(w, size).to(device=x.device, dtype=x.dtype)
    # rows then columns: (out,h) @ (N,C,h,w) @ (w,out)
    return torch.matmul(torch.matmul(my, x), mx.t())


@functools.lru_cache(maxsize=32)
def _tf_legacy_taps(in_size: int, out_size: int):
    """(lo, hi, frac) of each output position; the same float32 arithmetic as the matrix."""
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    src = torch.arange(out_size, dtype=torch.float32) * scale
    lo = src.long()
    return lo, (lo + 1).clamp_max(in_size - 1), src - lo.float()


def resize_tf_legacy_nhwc(x: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of (N,H,W,C) images (any dtype) to float32 (N,size,size,C), as TF 1.x does it.

    Works in the images' own NHWC layout, so the result is already channels_last for the
    network. Columns first, then rows, as TF interpolates, each as top + (bottom - top) * frac
    on the two source taps: memory-bound passes that cost ~2% of the network at 256x256 (a
    dense interpolation matmul would multiply mostly zeros). Inputs of at most 64 pixels a side
    take two batched matmuls instead, which are faster there.
    """
    n, h, w, c = x.shape
    x = x.to(torch.float32)
    if (h, w) == (size, size):
        return x.contiguous()
    if max(h, w) <= 64:
        my = _tf_legacy_matrix(h, size).to(device=x.device)
        mx = _tf_legacy_matrix(w, size).to(device=x.device)
        cols = torch.matmul(x.permute(0, 1, 3, 2), mx.t())  # (n, h, c, size)
        cols = cols.permute(0, 1, 3, 2).reshape(n, h, size * c)  # (n, h, size*c), one small copy
        return torch.matmul(my, cols).reshape(n, size, size, c)
    lo, hi, frac = (t.to(x.device) for t in _tf_legacy_taps(w, size))
    left = x.index_select(2, lo)
    cols = torch.addcmul(left, x.index_select(2, hi) - left, frac.view(1, 1, -1, 1))  # (n, h, size, c)
    lo, hi, frac = (t.to(x.device) for t in _tf_legacy_taps(h, size))
    top = cols.index_select(1, lo)
    return torch.addcmul(top, cols.index_select(1, hi) - top, frac.view(1, -1, 1, 1))


def resize_clean(img: np.ndarray, size: int) -> np.ndarray:
    """One (H,W,3) uint8 image -> (size,size,3) float32 in [0,255], clean-fid's "clean" protocol."""
    from PIL import Image

    if img.shape[:2] == (size, size):
        return img.astype(np.float32)
    out = np.empty((size, size, 3), dtype=np.float32)
    for ch in range(3):
        plane = Image.fromarray(img[:, :, ch].astype(np.float32), mode="F")
        out[:, :, ch] = np.asarray(plane.resize((size, size), resample=Image.Resampling.BICUBIC))
    return np.clip(out, 0, 255, out=out)
