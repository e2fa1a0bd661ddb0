"""The super-resolution task (`ganbench data sr --scale 2|4`) from the colour photographs scikit-image
ships (skimage.data, read from its installed files: nothing is downloaded).

- training: `n` random square crops (`crop` x `crop`, the high-resolution targets) of astronaut, rocket,
  immunohistochemistry, hubble_deep_field and retina, the image of each crop and its corner drawn from
  the seed; the low-resolution input of a crop is that crop downsampled (as SRGAN's reference data
  loader does: the crop, not the whole image, is downsampled).
- test, Set5-style (whole held-out photographs the model never sees): chelsea, coffee and the left view
  of stereo_motorcycle (its right view is left out: the same scene), each the central TEST x TEST
  square (a multiple of 2 and 4, so no modcrop is needed), all of one size so they fit one .npz.
- the bicubic floor: the test inputs upsampled back with the same kernel, the row every SR table
  reports.

Bicubic convention: MATLAB's imresize(..., 'bicubic'), the one SR papers (and SRGAN's evaluation)
use: Keys' cubic with a = -0.5, antialiased when downsampling (the kernel stretched by the factor),
pixel centres aligned ((x + 0.5) / s - 0.5). Computed with Pillow's BICUBIC resampling (the same kernel,
a = -0.5, and the same coordinates) on float32 planes ("F" mode), one channel at a time, rounded to
uint8 once at the end: Pillow on uint8 images rounds between its horizontal and vertical passes, and
torch's interpolate(mode="bicubic") uses a = -0.75 unless antialias=True (tests check the result
against torch's antialiased a = -0.5 kernel, an independent implementation)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from ..errors import GanbenchError

SCALES = (2, 4)
TRAIN = ("astronaut", "rocket", "immunohistochemistry", "hubble_deep_field", "retina")
TEST = ("chelsea", "coffee", "motorcycle_left")
TEST_SIZE = 256  # the held-out squares (HR); 128 (x2) or 64 (x4) low-resolution pixels


def _photo(name: str) -> np.ndarray:
    try:
        from skimage import data
    except ImportError:  # not in the base install: the photos ship in scikit-image's wheel
        raise GanbenchError(
            "ganbench data sr cuts its images from scikit-image's sample photos: "
            "pip install 'ganbench[sr]' (scikit-image)"
        ) from None

    img = data.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(data, name)()
    return np.ascontiguousarray(img[..., :3])


def resize(images: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, h, w, 3) uint8, MATLAB imresize bicubic (see the module's docstring)."""
    from PIL import Image

    h, w = size
    out = np.empty((len(images), h, w, images.shape[-1]), dtype=np.uint8)
    for i, img in enumerate(images):
        for c in range(img.shape[-1]):
            plane = Image.fromarray(img[..., c].astype(np.float32), mode="F").resize((w, h), Image.Resampling.BICUBIC)
            out[i, ..., c] = np.rint(np.asarray(plane)).clip(0, 255).astype(np.uint8)
    return out


def downsample(images: np.ndarray, scale: int) -> np.ndarray:
    h, w = images.shape[1:3]
    if h % scale or w % scale:
        raise GanbenchError(f"a {h}x{w} image does not divide by the scale {scale}: crop it to a multiple of {scale}")
    return resize(images, (h // scale, w // scale))


def upsample(images: np.ndarray, scale: int) -> np.ndarray:
    """The bicubic floor: inputs upsampled by `scale` with the kernel that made them."""
    h, w = images.shape[1:3]
    return resize(images, (h * scale, w * scale))


def _check(scale: int, crop: int, n: int) -> None:
    if scale not in SCALES:
        raise GanbenchError(f"--scale {scale}: the super-resolution task has scales {' and '.join(map(str, SCALES))}")
    if crop < 2 * scale or crop % scale:
        raise GanbenchError(
            f"--crop {crop}: the training crops must be a multiple of the scale {scale} and at least {2 * scale} pixels"
        )
    if n < 1:
        raise GanbenchError(f"-n {n}: at least one training crop")


def make_task(scale: int, n: int = 2000, crop: int = 32, seed: int = 0) -> Dict[str, np.ndarray]:
    """{train_inputs, train_targets, test_inputs, test_targets, test_names, bicubic}, uint8 NHWC."""
    _check(scale, crop, n)
    photos = [_photo(name) for name in TRAIN]
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(scale), int(crop)]))
    which = rng.integers(len(photos), size=n)
    targets = np.empty((n, crop, crop, 3), dtype=np.uint8)
    for i, k in enumerate(which):
        img = photos[k]
        y, x = rng.integers(img.shape[0] - crop + 1), rng.integers(img.shape[1] - crop + 1)
        targets[i] = img[y : y + crop, x : x + crop]
    crops = []
    for name in TEST:
        img = _photo(name)
        y, x = (img.shape[0] - TEST_SIZE) // 2, (img.shape[1] - TEST_SIZE) // 2
        crops.append(img[y : y + TEST_SIZE, x : x + TEST_SIZE])
    test = np.stack(crops)
    test_inputs = downsample(test, scale)
    return {
        "train_inputs": downsample(targets, scale),
        "train_targets": targets,
        "test_inputs": test_inputs,
        "test_targets": test,
        "test_names": np.array(TEST),
        "bicubic": upsample(test_inputs, scale),
    }


def save_task(out, task: Dict[str, np.ndarray]) -> Tuple[Path, Path, Path]:
    """OUT.npz (training pairs), OUT-test.npz (held-out pairs and their names), OUT-bicubic.npz (the
    floor's outputs, arr_0, in the test set's order), each written atomically."""
    from .paired import save_npz, save_pairs

    out = Path(out)
    if out.suffix.lower() != ".npz" or out.is_dir():
        raise GanbenchError(f"-o {out}: the super-resolution task is written as .npz files: end the name in .npz")
    test, floor = out.with_name(out.stem + "-test.npz"), out.with_name(out.stem + "-bicubic.npz")
    save_pairs(out, task["train_inputs"], task["train_targets"])
    what = "the super-resolution task is written as .npz files"
    save_npz(test, what, inputs=task["test_inputs"], targets=task["test_targets"], names=task["test_names"])
    save_npz(floor, what, task["bicubic"])
    return out, test, floor
