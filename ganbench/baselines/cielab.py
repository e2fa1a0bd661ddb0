"""sRGB <-> CIE L*a*b* (D65, 2 degree observer) in torch, the conversion of scikit-image's color.rgb2lab and
color.lab2rgb (0.26: the easyrgb.com formulas, their constants), which the colourisation of
junyanz/pytorch-CycleGAN-and-pix2pix uses (data/colorization_dataset.py: L / 50 - 1 in, ab / 110 out;
models/colorization_model.py: lab2rgb of cat(L, ab)). tests/test_pix2pix_lab.py checks it against
scikit-image; float64 inside, so that an image's round trip is exact to ~1e-12."""

from __future__ import annotations

import torch

# sRGB primaries to XYZ (skimage's xyz_from_rgb) and the D65 white's tristimulus values
_XYZ_FROM_RGB = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=torch.float64,
)
_WHITE = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)


def _mix(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", m.to(x.device), x)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) sRGB in [0, 1] -> (N, 3, H, W) float64 L* in [0, 100], a*, b*."""
    x = rgb.double()
    x = torch.where(x > 0.04045, ((x.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4, x / 12.92)
    xyz = _mix(_XYZ_FROM_RGB, x) / _WHITE.to(x.device)[:, None, None]
    f = torch.where(xyz > 0.008856, xyz.clamp_min(0.008856) ** (1.0 / 3.0), 7.787 * xyz + 16.0 / 116.0)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], 1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) L*, a*, b* -> (N, 3, H, W) float64 sRGB clipped to [0, 1] (z below 0 set to 0 first, as
    scikit-image does)."""
    lab = lab.double()
    fy = (lab[:, 0] + 16.0) / 116.0
    f = torch.stack([lab[:, 1] / 500.0 + fy, fy, (fy - lab[:, 2] / 200.0).clamp_min(0.0)], 1)
    xyz = torch.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) * _WHITE.to(lab.device)[:, None, None]
    x = _mix(torch.linalg.inv(_XYZ_FROM_RGB), xyz)
    x = torch.where(x > 0.0031308, 1.055 * x.clamp_min(0.0031308) ** (1.0 / 2.4) - 0.055, x * 12.92)
    return x.clamp(0.0, 1.0)


def _unit(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 images as the trainer gives them (x / 127.5 - 1, float32) -> x / 255 in float64, exactly: the
    rounding undoes float32's error, so the Lab values are scikit-image's of the uint8 image."""
    return torch.round((rgb.double() + 1.0) * 127.5) / 255.0


def to_model(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 images in [-1, 1] (N, 3, H, W) -> their L* / 50 - 1 (N, 1, H, W), float32: the colouriser's input."""
    return (rgb_to_lab(_unit(rgb))[:, :1] / 50.0 - 1.0).float()


def ab_of(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 images in [-1, 1] (N, 3, H, W) -> their a*, b* / 110 (N, 2, H, W), float32: the colouriser's target."""
    return (rgb_to_lab(_unit(rgb))[:, 1:] / 110.0).float()


def to_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The colouriser's L (N, 1, H, W, L* / 50 - 1) and ab (N, 2, H, W, / 110) -> images in [-1, 1]."""
    lab = torch.cat([(L.double() + 1.0) * 50.0, ab.double() * 110.0], 1)
    return (lab_to_rgb(lab) * 2.0 - 1.0).float()
