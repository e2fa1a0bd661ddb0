"""The augmentation pipeline of ADA (Karras et al. 2020, "Training Generative Adversarial Networks with
Limited Data"), its 'blit', 'geom' and 'color' groups in plain PyTorch, following the paper's reference
implementation (NVlabs/stylegan2-ada-pytorch, training/augment.py) in its transformations, probabilities,
strengths, the order and shapes of its random draws, and its geometric path: reflect padding, 2x
upsampling with the sym6 wavelet low-pass filter, one bilinear resampling of all geometric transforms
composed, and 2x downsampling with the same filter. Each transform applies to an image with probability
(multiplier * p); the draws are made whether or not it applies, as the reference does."""

from __future__ import annotations

from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F

# Low-pass decomposition filter of the Daubechies symlet with 6 vanishing moments (sym6).
SYM6 = [
    0.015404109327027373,
    0.0034907120842174702,
    -0.11799011114819057,
    -0.048311742585633,
    0.4910559419267466,
    0.787641141030194,
    0.3379294217276218,
    -0.07263752278646252,
    -0.021060292512300564,
    0.04472490177066578,
    0.0017677118642428036,
    -0.007800708325034148,
]

# Probability multipliers of each transform, and their strengths: the reference's defaults.
TRANSFORMS = (
    "xflip",
    "rotate90",
    "xint",
    "scale",
    "rotate",
    "aniso",
    "xfrac",
    "brightness",
    "contrast",
    "lumaflip",
    "hue",
    "saturation",
)
STRENGTHS = dict(
    xint_max=0.125,
    scale_std=0.2,
    rotate_max=1.0,
    aniso_std=0.2,
    xfrac_std=0.125,
    brightness_std=0.2,
    contrast_std=0.5,
    hue_max=1.0,
    saturation_std=1.0,
)
# The reference's train.py --augpipe presets that need no image-space filtering, noise or cutout.
PIPES: Dict[str, tuple] = {
    "blit": ("xflip", "rotate90", "xint"),
    "geom": ("scale", "rotate", "aniso", "xfrac"),
    "color": ("brightness", "contrast", "lumaflip", "hue", "saturation"),
    "bg": ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac"),
    "bgc": TRANSFORMS,
}


def _mat(rows, like: torch.Tensor) -> torch.Tensor:
    """A batch of matrices from rows of tensors (all shaped like `like`) and numbers."""
    elems = [e if isinstance(e, torch.Tensor) else torch.full_like(like, float(e)) for row in rows for e in row]
    return torch.stack(elems, dim=-1).reshape(*like.shape, len(rows), len(rows[0]))


def _const(rows) -> torch.Tensor:
    return torch.as_tensor(np.asarray(rows), dtype=torch.float32)


def _translate(tx, ty):
    return _mat([[1, 0, tx], [0, 1, ty], [0, 0, 1]], tx)


def _scale(sx, sy):
    return _mat([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], sx)


def _rotate(theta):
    return _mat([[torch.cos(theta), torch.sin(-theta), 0], [torch.sin(theta), torch.cos(theta), 0], [0, 0, 1]], theta)


def _rotate3d(v, theta):
    """Rotation by theta about the unit axis v (Rodrigues), in homogeneous 4x4 form."""
    vx, vy, vz = v[0], v[1], v[2]
    s, c = torch.sin(theta), torch.cos(theta)
    cc = 1 - c
    return _mat(
        [
            [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0],
            [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0],
            [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0],
            [0, 0, 0, 1],
        ],
        theta,
    )


def _fir(x: torch.Tensor, taps: torch.Tensor, up: int, down: int, pad0: int, pad1: int) -> torch.Tensor:
    """Separable FIR resampling of both image axes: insert up-1 zeros after each pixel, pad with zeros
    (negative: crop), correlate with `taps` along width then height, keep every down-th pixel."""
    n, ch, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(n, ch, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, ch, h * up, w * up)
    x = F.pad(x, [max(pad0, 0), max(pad1, 0), max(pad0, 0), max(pad1, 0)])
    x = x[:, :, max(-pad0, 0) : x.shape[2] - max(-pad1, 0), max(-pad0, 0) : x.shape[3] - max(-pad1, 0)]
    k = taps.to(x.device, x.dtype).reshape(1, 1, 1, -1).repeat(ch, 1, 1, 1)
    x = F.conv2d(x, k, groups=ch)
    x = F.conv2d(x, k.transpose(2, 3), groups=ch)
    return x[:, :, ::down, ::down]


class Pipe:
    """`pipe(x, p, draw)`: x NCHW float with 1 or 3 channels; `draw` (a draws.Draws with whole=True)
    gives rand/randn for the whole batch from the caller's generator, and `draw.rows` this call's rows of
    it. Differentiable in x."""

    def __init__(self, transforms=TRANSFORMS, **strengths):
        unknown = set(transforms) - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"unknown ADA transform(s): {sorted(unknown)}")
        self.on = {t: 1.0 if t in transforms else 0.0 for t in TRANSFORMS}
        self.s = {**STRENGTHS, **strengths}
        f = torch.tensor(SYM6, dtype=torch.float32)
        self.taps = f / f.sum()  # unit DC gain

    def __call__(self, x: torch.Tensor, prob: float, draw) -> torch.Tensor:
        p = torch.tensor(prob, dtype=torch.float32)
        x = self._geometric(x, p, draw)
        return self._color(x, p, draw)

    def _chance(self, name: str, p, draw, value, *shape, neutral: float):
        """`value` where a uniform draw falls below the transform's probability, else `neutral`."""
        hit = draw.rand(*shape) < self.on[name] * p
        return torch.where(hit, value, torch.full_like(value, neutral))

    def _geometric(self, x, p, draw):
        on, s, pi = self.on, self.s, np.pi
        h, w = x.shape[2:]
        inv = None  # inverse transform (output pixel -> input pixel), composed on the right

        def then(m):
            nonlocal inv
            inv = torch.eye(3) @ m if inv is None else inv @ m

        if on["xflip"]:
            i = self._chance("xflip", p, draw, torch.floor(draw.rand() * 2), neutral=0)
            then(_scale(1 / (1 - 2 * i), torch.ones_like(i)))
        if on["rotate90"]:
            i = self._chance("rotate90", p, draw, torch.floor(draw.rand() * 4), neutral=0)
            then(_rotate(-(-pi / 2 * i)))
        if on["xint"]:
            t = (draw.rand(2) * 2 - 1) * s["xint_max"]
            t = self._chance("xint", p, draw, t, 1, neutral=0)
            then(_translate(-torch.round(t[:, 0] * w), -torch.round(t[:, 1] * h)))
        if on["scale"]:
            v = self._chance("scale", p, draw, torch.exp2(draw.randn() * s["scale_std"]), neutral=1)
            then(_scale(1 / v, 1 / v))
        p_rot = 1 - torch.sqrt((1 - on["rotate"] * p).clamp(0, 1))  # P(pre or post rotation) = p
        if on["rotate"]:
            theta = (draw.rand() * 2 - 1) * pi * s["rotate_max"]
            theta = torch.where(draw.rand() < p_rot, theta, torch.zeros_like(theta))
            then(_rotate(theta))  # the reference's rotate2d_inv(-theta), i.e. rotate2d(theta)
        if on["aniso"]:
            v = self._chance("aniso", p, draw, torch.exp2(draw.randn() * s["aniso_std"]), neutral=1)
            then(_scale(1 / v, 1 / (1 / v)))
        if on["rotate"]:
            theta = (draw.rand() * 2 - 1) * pi * s["rotate_max"]
            theta = torch.where(draw.rand() < p_rot, theta, torch.zeros_like(theta))
            then(_rotate(theta))  # the reference's rotate2d_inv(-theta), i.e. rotate2d(theta)
        if on["xfrac"]:
            t = self._chance("xfrac", p, draw, draw.randn(2) * s["xfrac_std"], 1, neutral=0)
            then(_translate(-(t[:, 0] * w), -(t[:, 1] * h)))
        if inv is None:
            return x
        return self._resample(x, inv, draw)

    def _resample(self, x, inv, draw):
        n, ch, h, w = x.shape
        pad = len(SYM6) // 4
        # Reflect-pad just enough that the transformed image's corners (over the whole global batch, so a
        # rank's slice pads as one process would) and the filter's support stay inside real pixels.
        cx, cy = (w - 1) / 2, (h - 1) / 2
        corners = inv @ _const([[-cx, -cy, 1], [cx, -cy, 1], [cx, cy, 1], [-cx, cy, 1]]).t()
        reach = corners[:, :2, :].permute(1, 0, 2).flatten(1)
        margin = torch.cat([-reach, reach]).max(dim=1).values + _const([pad * 2 - cx, pad * 2 - cy] * 2)
        margin = margin.max(_const([0, 0] * 2)).min(_const([w - 1, h - 1] * 2))
        mx0, my0, mx1, my1 = margin.ceil().to(torch.int32)
        inv = draw.rows(inv)
        x = F.pad(x, [int(mx0), int(mx1), int(my0), int(my1)], mode="reflect")
        inv = _translate((mx0 - mx1) / 2, (my0 - my1) / 2) @ inv
        # Upsample 2x (zero insertion, sym6 low-pass with gain 4 and its mirrored taps), in pixel units.
        up = self.taps * 2
        x = _fir(x, up.flip(0), up=2, down=1, pad0=(len(SYM6) + 1) // 2, pad1=(len(SYM6) - 2) // 2)
        two, half = _const([[2, 0, 0], [0, 2, 0], [0, 0, 1]]), _const([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 1]])
        inv = two @ inv @ half
        shift, unshift = _const([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]]), _const([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
        inv = shift @ inv @ unshift
        # One bilinear resampling to the padded-by-`pad` output at 2x, in normalised coordinates.
        shape = [n, ch, (h + pad * 2) * 2, (w + pad * 2) * 2]
        to_norm = _const([[2 / x.shape[3], 0, 0], [0, 2 / x.shape[2], 0], [0, 0, 1]])
        from_norm = _const([[1 / (2 / shape[3]), 0, 0], [0, 1 / (2 / shape[2]), 0], [0, 0, 1]])
        inv = (to_norm @ inv @ from_norm).to(x.device, x.dtype)
        grid = F.affine_grid(inv[:, :2, :], size=shape, align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        # Downsample 2x with the same filter (correlation), cropping the extra `pad` pixels.
        return _fir(
            x, self.taps, up=1, down=2, pad0=-pad * 2 + (len(SYM6) - 1) // 2, pad1=-pad * 2 + (len(SYM6) - 2) // 2
        )

    def _color(self, x, p, draw):
        on, s = self.on, self.s
        n, ch, h, w = x.shape
        eye = torch.eye(4)
        m = None  # colour transform (input colour -> output colour), composed on the left

        def then(t):
            nonlocal m
            m = t @ (eye if m is None else m)

        v = _const(np.asarray([1, 1, 1, 0]) / np.sqrt(3))  # luma axis
        vv = torch.outer(v, v)
        if on["brightness"]:
            b = self._chance("brightness", p, draw, draw.randn() * s["brightness_std"], neutral=0)
            then(_mat([[1, 0, 0, b], [0, 1, 0, b], [0, 0, 1, b], [0, 0, 0, 1]], b))
        if on["contrast"]:
            c = self._chance("contrast", p, draw, torch.exp2(draw.randn() * s["contrast_std"]), neutral=1)
            then(_mat([[c, 0, 0, 0], [0, c, 0, 0], [0, 0, c, 0], [0, 0, 0, 1]], c))
        if on["lumaflip"]:
            i = self._chance("lumaflip", p, draw, torch.floor(draw.rand(1, 1) * 2), 1, 1, neutral=0)
            then(eye - 2 * vv * i)  # Householder reflection through the plane orthogonal to luma
        if on["hue"] and ch > 1:
            theta = (draw.rand() * 2 - 1) * np.pi * s["hue_max"]
            theta = self._chance("hue", p, draw, theta, neutral=0)
            then(_rotate3d(v, theta))
        if on["saturation"] and ch > 1:
            sat = self._chance(
                "saturation", p, draw, torch.exp2(draw.randn(1, 1) * s["saturation_std"]), 1, 1, neutral=1
            )
            then(vv + (eye - vv) * sat)
        if m is None:
            return x
        m = draw.rows(m).to(x.device, x.dtype)
        flat = x.reshape(n, ch, h * w)
        if ch == 3:
            flat = m[:, :3, :3] @ flat + m[:, :3, 3:]
        elif ch == 1:
            m = m[:, :3, :].mean(dim=1, keepdim=True)
            flat = flat * m[:, :, :3].sum(dim=2, keepdim=True) + m[:, :, 3:]
        else:
            raise ValueError(f"ADA's colour transforms need 1 or 3 channels, not {ch}")
        return flat.reshape(n, ch, h, w)
