"""What a checkpoint shows of G without any weights file: a sample grid PNG from fixed latents (the
same latents at every step, so grids compare across steps) and the spread of those samples.

The spread is the mean pixel-space distance between two samples of the fixed batch (RMS over
pixels on [0, 1], or Euclidean for 2-D points), divided by the same for a fixed batch of real data:
about 1 for a generator as varied as the data, near 0 when every latent gives one image."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from ..cache import atomic_path
from . import sampling

GRID_SEED = 2**31 - 2  # the grid's latents, apart from the eval's and any user sampling seed
IMAGES = 64  # an 8 x 8 grid
POINTS = 512
COLLAPSED = 0.2  # a spread ratio below this, after warm-up, is named on stderr
REAL_SEED = 7


def spread(x: np.ndarray) -> float:
    """Mean distance between two different samples: RMS over pixels on [0, 1] for images, Euclidean for points."""
    f = torch.from_numpy(np.asarray(x, np.float64).reshape(len(x), -1))
    if x.dtype == np.uint8:
        f = f / 255.0
    d = torch.cdist(f, f)
    if x.dtype == np.uint8:
        d = d / np.sqrt(f.shape[1])
    n = len(x)
    return float(d.sum() / (n * (n - 1))) if n > 1 else 0.0


def fixed_samples(G: torch.nn.Module, info: dict) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """G's samples of the fixed latents, in eval mode, without touching any training state or RNG."""
    if info.get("inputs") is not None:  # image-to-image: the outputs of the first inputs
        from .translate import translate

        return translate(G, info["inputs"][:IMAGES], batch_size=IMAGES, device=next(G.parameters()).device), None
    was_training = G.training
    G.eval()
    try:
        n = POINTS if info["kind"] == "points" else IMAGES
        dev = next(G.parameters()).device
        return sampling.generate(G, info, n, seed=GRID_SEED, batch_size=n, device=dev, progress=False)
    finally:
        G.train(was_training)


def real_spread(data) -> float:
    """The spread of a fixed batch of the training data (what `spread` of the samples is compared with)."""
    n = POINTS if data.kind == "points" else IMAGES
    return spread(np.asarray(data.reference_images(n, seed=REAL_SEED))[:n])


def write_grid(samples: np.ndarray, dest, real: Optional[np.ndarray] = None, title: str = "") -> Path:
    """An 8 x 8 PNG grid of images (tiles upscaled to at least 32 px), or a scatter of 2-D points over
    the real ones in grey. Written atomically, without metadata (byte-identical for the same samples)."""
    dest = Path(dest)
    if samples.dtype == np.uint8:
        from PIL import Image

        n, h, w, c = samples.shape
        cols = int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / cols))
        scale = max(1, 32 // h)
        pad = 2
        canvas = np.full((rows * (h * scale + pad) + pad, cols * (w * scale + pad) + pad, c), 255, np.uint8)
        for i, img in enumerate(samples):
            r, q = divmod(i, cols)
            big = img.repeat(scale, 0).repeat(scale, 1)
            y0, x0 = pad + r * (h * scale + pad), pad + q * (w * scale + pad)
            canvas[y0 : y0 + h * scale, x0 : x0 + w * scale] = big
        with atomic_path(dest) as tmp:
            Image.fromarray(canvas.squeeze(-1) if c == 1 else canvas).save(tmp, format="PNG")
        return dest
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=4, c="0.75", label="real")
    ax.scatter(samples[:, 0], samples[:, 1], s=4, c="C0", label="G")
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(dest) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return dest


def grid_path(run_dir, step: int) -> Path:
    return Path(run_dir) / "samples" / f"step-{step:08d}.png"


class Grid:
    """At each checkpoint: samples/step-N.png and the spread of the fixed batch (a collapse signal)."""

    def __init__(self, data, run_dir, enabled: bool = True):
        self.run_dir, self.enabled = run_dir, enabled
        points = data.kind == "points"
        self.real = np.asarray(data.reference_images(POINTS, seed=REAL_SEED))[:POINTS] if points else None
        self.real_spread = real_spread(data) if enabled else None

    def __call__(self, G, info: dict, step: int) -> Optional[dict]:
        """Write the grid of `step`; {spread, real_spread, ratio} of its samples."""
        if not self.enabled:
            return None
        real = self.real_spread
        assert real is not None  # measured when enabled
        x, _labels = fixed_samples(G, info)
        write_grid(x, grid_path(self.run_dir, step), self.real, title=f"step {step}")
        s = spread(x)
        ratio = s / real if real else None
        return {
            "n": len(x),
            "spread": round(s, 6),
            "real_spread": round(real, 6),
            "spread_ratio": None if ratio is None else round(ratio, 6),
        }


def collapse_message(ratio: Optional[float], stats: dict, n: int) -> Optional[str]:
    """The stderr line for a fixed batch that varies far less than real data; None when it does not."""
    if ratio is None or ratio >= COLLAPSED:
        return None
    return (
        f"mode collapse: the {n} fixed-latent samples differ by {stats['spread']:.3g} on average "
        f"({ratio:.2f}x the spread of real data, {stats['real_spread']:.3g}): G maps most latents to a few "
        f"outputs; see the sample grid, and try --set mbstd=4, --set ema=0.999 or a lower lr_g"
    )
