"""Outputs of an image-to-image run (pix2pix): `ganbench sample RUN --input IMAGES -o OUT` runs the trained
G on each input image.

Batch norm at test time (the run's `test_norm`, or `--test-norm`): `running` runs G in eval mode, batch
norm with its running statistics (model.eval()); `input` normalises each input by its own statistics, as
batch norm in training mode does with a batch of one (computed batched: instance norm with the layer's
weights), as Isola et al. 2017 do ("we apply batch normalization using the statistics of the test batch ...
when the batch size is set to 1, ... instance normalization", sec. 3.3; junyanz/pytorch-CycleGAN-and-pix2pix's
test.py without --eval, batch 1): pix2pix trains at batch 1, so that is the normalisation its G learned with.
Either way an output depends on its input alone (not on the batch it was run in), dropout is off
(pix2pix-unet32 has none) and the same run, checkpoint and inputs give the same bytes; `input` runs a copy
of G, so the run's running statistics stay. A G that reads and makes another colour space (the colourisation
model's L* -> a*, b*: pix2pix.LabUNet) has its input converted by its `to_model` and its output back by its
`to_rgb`. A folder's outputs keep the inputs' relative file names (as .png), so outputs and targets match by
name; a .npz's are `arr_0` in input order.
An unpaired run (CycleGAN) translates A -> B with G_AB, or B -> A with G_BA (`direction="BA"`); score
each direction's outputs against the other domain's real test images (`ganbench eval OUT --ref B_TEST`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..errors import GanbenchError
from ..progress import bar

TEST_NORMS = ("running", "input")


class _OwnStatistics(torch.nn.Module):
    """A batch-norm layer that normalises each input by its own statistics: what the layer does in training
    mode on a batch of one (biased variance over H, W), for a whole batch at once (instance norm with the
    layer's affine weights)."""

    def __init__(self, bn: torch.nn.modules.batchnorm._BatchNorm):
        super().__init__()
        self.weight, self.bias, self.eps = bn.weight, bn.bias, bn.eps

    def forward(self, x):
        return torch.nn.functional.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)


def _per_input_norm(G: torch.nn.Module) -> torch.nn.Module:
    """A copy of G in eval mode whose batch-norm layers normalise each input by its own statistics."""
    import copy

    G = copy.deepcopy(G).eval()
    for parent in list(G.modules()):
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.modules.batchnorm._BatchNorm):
                setattr(parent, name, _OwnStatistics(child))
    return G


def _run(G: torch.nn.Module, images: np.ndarray, batch_size: int, device, progress: bool) -> np.ndarray:
    from .sampling import to_images

    out = []
    for i in bar(
        range(0, len(images), batch_size),
        desc="translating",
        unit="batch",
        enabled=None if progress and len(images) > 100 else False,  # None: unless GANBENCH_QUIET
    ):
        x = torch.from_numpy(np.ascontiguousarray(images[i : i + batch_size])).to(device)
        x = x.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        if hasattr(G, "to_model"):  # a G that reads and makes another colour space (pix2pix.LabUNet)
            m = G.to_model(x)  # type: ignore[operator]
            y = G.to_rgb(m, G(m).float())  # type: ignore[operator]
        else:
            y = G(x).float()
        out.append(to_images(y).permute(0, 2, 3, 1).cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def translate(
    G: torch.nn.Module,
    images: np.ndarray,
    batch_size: int = 100,
    device="cpu",
    progress: bool = False,
    test_norm: str = "running",
) -> np.ndarray:
    """(N, H, W, 3) uint8 inputs -> (N, H, W, 3) uint8 outputs of G (its training state kept); `test_norm`
    as the module says ("input": through a copy of G)."""
    if test_norm not in TEST_NORMS:
        raise GanbenchError(f"test_norm={test_norm}: pass {' or '.join(TEST_NORMS)}")
    if test_norm == "input":
        return _run(_per_input_norm(G), images, batch_size, device, progress)
    was_training = G.training
    G.eval()
    try:
        return _run(G, images, batch_size, device, progress)
    finally:
        G.train(was_training)


def read_inputs(source, shape, key: Optional[str] = None, any_size: bool = False):
    """(images, relative names or None) of a folder / .npz / .npy of inputs, each of the model's size
    (`any_size`: a fully convolutional G, e.g. SRResNet, takes any size, one size for all the inputs)."""
    from ..inputs.images import open_source

    if key is None and str(source).lower().endswith(".npz"):
        from ..inputs.arrays import _npz_keys

        if "inputs" in _npz_keys(Path(source)):
            key = "inputs"  # a paired data set's inputs (`ganbench data colorize`)
    src = open_source(source, key=key)
    if len(src) == 0:
        raise GanbenchError(f"--input {source} holds no images: pass a folder or array of input images")
    src.check()
    images = src.read(range(len(src)))
    names = list(getattr(src, "files", None) or []) or None
    if any_size:
        if isinstance(images, list):
            raise GanbenchError(
                f"--input {source} holds images of several sizes: translate each size on its own "
                "(one folder or array per size)"
            )
        h, w = images.shape[1:3]
    else:
        h, w = shape[1:]
    if isinstance(images, list):
        bad = next(i for i, im in enumerate(images) if im.shape[:2] != (h, w))
        raise GanbenchError(
            f"--input {source}: {names[bad] if names else f'image {bad}'} is "
            f"{images[bad].shape[0]}x{images[bad].shape[1]} but the model takes {h}x{w}: "
            "resize the inputs to that size"
        )
    if images.shape[1:3] != (h, w):
        raise GanbenchError(
            f"--input {source} holds {images.shape[1]}x{images.shape[2]} images but the model takes "
            f"{h}x{w}: resize the inputs to that size"
        )
    return images, names


def write_outputs(outputs: np.ndarray, out, names=None) -> Path:
    """OUT.npz (arr_0), or a new folder of PNGs named as the inputs were (or numbered), written atomically."""
    from .sampling import write_samples

    return write_samples(outputs, None, out, names=None if Path(out).suffix.lower() == ".npz" else names)


def translate_run(
    run_dir,
    source,
    out=None,
    *,
    key: Optional[str] = None,
    checkpoint="last",
    ema: Optional[bool] = None,
    batch_size: int = 100,
    device=None,
    progress: bool = True,
    direction: Optional[str] = None,
    test_norm: Optional[str] = None,
):
    """G's outputs for the inputs in `source` (folder, .npz, .npy); written to `out` when given.
    `direction`: an unpaired run's AB (G_AB, the default) or BA (G_BA). `test_norm`: running | input (None:
    the run's configuration's). Returns (outputs, info)."""
    from ..baselines import ARCHITECTURES
    from ..device import pick_device
    from . import runs
    from .sampling import load_generator

    run = runs.read(run_dir)
    arch = ARCHITECTURES.get(run["config"]["arch"])
    if not arch.paired:
        raise GanbenchError(
            f"--input: {run_dir} ({run['baseline']}) generates from noise, not from input images: leave --input out"
        )
    unpaired = bool(arch.extra.get("unpaired"))
    if direction is not None and (not unpaired or str(direction).upper() not in ("AB", "BA")):
        raise GanbenchError(
            f"--direction {direction}: "
            + (
                "AB (G_AB, A -> B) or BA (G_BA, B -> A)"
                if unpaired
                else f"{run_dir} ({run['baseline']}) translates one way only: leave --direction out"
            )
        )
    direction = str(direction or "AB").upper() if unpaired else None
    images, names = read_inputs(source, arch.shape, key, any_size="scale" in arch.extra)
    dev = pick_device(device)
    G, info = load_generator(run_dir, checkpoint, ema, dev, net=f"G_{direction}" if unpaired else None)
    test_norm = test_norm or run["config"].get("test_norm", "running")
    outputs = translate(G, images, batch_size, dev, progress=progress, test_norm=test_norm)
    if out is not None:
        write_outputs(outputs, out, names)
    return outputs, {
        **info,
        "input": str(source),
        "n": int(len(outputs)),
        "test_norm": test_norm,
        **({"direction": direction} if unpaired else {}),
    }
