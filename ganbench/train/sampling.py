"""Samples from a trained run: seeded, batched on the device, byte-identical for the same run,
checkpoint and seed. Latents come in blocks of BLOCK from the counter-based streams, so the numbers
do not depend on the batch size used to run G.

A conditional run's samples carry their classes: drawn at random (as in training), or with `classes`
(`--classes uniform|0,3,7`) the listed classes in turn, sample i of class classes[i % len(classes)],
so every class gets the same count (+-1) and the latents are the same whichever classes are asked."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from .. import streams
from ..errors import GanbenchError
from ..inputs import generator as generator_input
from ..inputs.generator import BLOCK
from ..progress import bar
from . import checkpoint, models, runs


def load_generator(
    run_dir, which="last", ema: Optional[bool] = None, device="cpu", net: Optional[str] = None
) -> Tuple[torch.nn.Module, dict]:
    """The run's generator (`net`: a named one, e.g. CycleGAN's G_BA; default the run's main G)."""
    run = runs.read(run_dir)
    cfg = run["config"]
    step, path, how = checkpoint.pick(run_dir, which)
    tensors, _meta = checkpoint.load(path)
    nets = models.build(cfg, run["seed"], run["data"].get("num_classes", 0), "cpu")
    use_ema = ("G_ema" in nets.nets) if ema is None else bool(ema)
    if use_ema and not any(k.startswith("G_ema.") for k in tensors):
        raise GanbenchError(f"{run_dir} was trained without an EMA (ema=0): pass --no-ema")
    name = net or nets.main
    G = nets.nets[name]
    G.load_state_dict(checkpoint.module_state(tensors, "G_ema" if use_ema else name))
    G.to(device).eval()
    info = {
        "baseline": run["baseline"],
        "config_hash": run["config_hash"],
        "step": step,
        "training_seed": run["seed"],
        "checkpoint": str(path),
        "checkpoint_sha256": checkpoint.sha256(path),
        "ema": use_ema,
        "checkpoint_selection": how,
        "kind": nets.arch.kind,
        "z_dim": cfg["z_dim"],
        "num_classes": run["data"].get("num_classes", 0) if cfg["conditional"] else 0,
    }
    return G, info


def parse_classes(spec, info: dict, where: str = "the run") -> Optional[Tuple[int, ...]]:
    """`--classes` ("uniform", "0,3,7" or a sequence of ints) -> the classes to sample in turn, checked
    against the run's classes; None when not asked."""
    return generator_input.parse_classes(spec, info.get("num_classes", 0), where)


def to_images(x: torch.Tensor) -> torch.Tensor:
    """G's float output in [-1, 1] -> uint8, as `ganbench sample` writes it: round((x + 1) * 127.5)."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def noise_generators(seed: int, start: int, n: int) -> list:
    """One generator per sample start..start+n-1 for a StyleGAN2 G's noise inputs: sample i's noise depends on
    (seed, i) alone, so it does not change with the batch size (`sample` and `--eval-every` draw it alike)."""
    return [streams.generator(seed, "sample_noise", start + j) for j in range(n)]


def _styled(G) -> bool:
    """A generator with a mapping network and noise inputs (StyleGAN2): G(z, c, truncation_psi, generator=)."""
    return hasattr(G, "mapping") and hasattr(getattr(G, "synthesis", None), "noise_generator")


def check_truncation(truncation, baseline: str, supported: bool) -> None:
    if truncation is not None and not supported:
        raise GanbenchError(
            f"--truncation {truncation}: baseline {baseline} has no mapping network to truncate "
            "(StyleGAN2 has): leave --truncation out"
        )


@torch.no_grad()
def generate(
    G,
    info: dict,
    n: int,
    seed: int = 0,
    batch_size: int = 500,
    device="cpu",
    progress: bool = True,
    classes: Optional[Sequence[int]] = None,
    truncation: Optional[float] = None,
):
    """(samples, labels or None): uint8 NHWC images or float64 (n, 2) points; `classes` (from
    `parse_classes`) the classes sampled in turn instead of at random; `truncation` psi for a generator
    with a mapping network (StyleGAN2), whose noise inputs are drawn per sample from the seed, so that
    they too do not depend on the batch size."""
    if n < 1:
        raise GanbenchError(f"-n {n}: pass a positive number of samples")
    if classes is not None and not info.get("num_classes"):
        raise GanbenchError("classes were asked of a generator trained without classes: leave them out")
    styled = _styled(G)
    check_truncation(truncation, info.get("baseline", "?"), styled)
    out, labels = [], []
    for b in bar(range((n + BLOCK - 1) // BLOCK), desc="sampling", unit="block", enabled=progress and n > BLOCK):
        m = min(BLOCK, n - b * BLOCK)
        z = generator_input.latent_block(seed, b, info["z_dim"])[:m]
        y = generator_input.label_block(seed, b, info["num_classes"])[:m] if info["num_classes"] else None
        if classes is not None:
            y = torch.tensor(classes, dtype=torch.int64)[torch.arange(b * BLOCK, b * BLOCK + m) % len(classes)]
        for i in range(0, m, batch_size):
            zi = z[i : i + batch_size].to(device)
            yi = None if y is None else y[i : i + batch_size].to(device)
            if styled:
                noise = noise_generators(seed, b * BLOCK + i, len(zi))
                x = G(zi, yi, truncation_psi=1 if truncation is None else truncation, generator=noise)
            else:
                x = G(zi) if yi is None else G(zi, yi)
            out.append(x.float().cpu())
        if y is not None:
            labels.append(y)
    x = torch.cat(out)
    if info["kind"] == "points":
        samples = x.double().numpy()
    else:
        samples = to_images(x).permute(0, 2, 3, 1).contiguous().numpy()
    return samples, (torch.cat(labels).numpy() if labels else None)


def write_samples(samples: np.ndarray, labels, out, names=None) -> Path:
    """`out.npz` (arr_0, and labels when conditional) or a folder of PNGs (with labels: one subfolder
    per class, named by its number; with `names`: each image at that relative path, as .png), written
    atomically."""
    from ..cache import atomic_path

    out = Path(out)
    if out.suffix.lower() == ".npz":
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, samples, **({"labels": labels} if labels is not None else {}))
        return out
    if out.suffix.lower() == ".npy":
        raise GanbenchError(
            f"-o {out}: samples are written to a .npz file (with their labels) or a new folder: pass -o x.npz"
        )
    if samples.dtype != np.uint8:
        raise GanbenchError(f"-o {out}: 2-D points are written to a .npz file, not a folder of images: pass -o x.npz")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GanbenchError(f"-o {out} exists and is not an empty folder: pass a new folder or a .npz path")
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        width = len(str(len(samples) - 1))
        for i, img in enumerate(samples):
            if names is not None:
                dest = (tmp / names[i]).with_suffix(".png")
            else:
                dest = (tmp if labels is None else tmp / str(int(labels[i]))) / f"{i:0{width}d}.png"
            dest.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(dest)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def sample(
    run_dir,
    n: int = 50000,
    *,
    seed: int = 0,
    checkpoint="last",
    ema: Optional[bool] = None,
    out=None,
    batch_size: int = 500,
    device=None,
    progress: bool = True,
    classes=None,
    truncation: Optional[float] = None,
):
    """Samples of a run (see `generate`); written to `out` when given. Returns (samples, info), with
    info["labels"] the samples' classes (None for an unconditional run). `classes`: "uniform", "0,3,7"
    or a list of ints, sampled in turn (see `parse_classes`); `truncation`: psi of a StyleGAN2 run."""
    from ..baselines import ARCHITECTURES
    from ..device import pick_device

    run = runs.read(run_dir)
    if getattr(ARCHITECTURES.get(run["config"]["arch"]), "paired", False):
        raise GanbenchError(
            f"{run_dir} ({run['baseline']}) translates input images rather than sampling from noise: "
            "pass --input IMAGES (ganbench.train.translate.translate_run from Python)"
        )
    asked = parse_classes(
        classes, {"num_classes": run["data"].get("num_classes", 0) if run["config"]["conditional"] else 0}, str(run_dir)
    )
    check_truncation(truncation, run["baseline"], ARCHITECTURES.get(run["config"]["arch"]).networks is not None)
    dev = pick_device(device)
    G, info = load_generator(run_dir, checkpoint, ema, dev)
    samples, labels = generate(G, info, n, seed, batch_size, dev, progress, classes=asked, truncation=truncation)
    info = {
        **info,
        "sampling_seed": int(seed),
        "n": int(n),
        "labels": labels,
        **({"classes": list(asked)} if asked is not None else {}),
        **({"truncation_psi": float(truncation)} if truncation is not None else {}),
    }
    if out is not None:
        write_samples(samples, labels, out)
    return samples, info
