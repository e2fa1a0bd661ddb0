"""Golden fixture for ganbench's ppl (tests/test_ppl.py): the per-pair distances of NVlabs/stylegan2-ada-pytorch's
own `PPLSampler` (metrics/perceptual_path_length.py at the commit below) on a small ganbench StyleGAN2 G.

The sampler runs as the reference has it (its slerp / lerp, t, crop, 256-px downsample, [0, 255] scaling),
with two stand-ins: `vgg16` returns the image scaled back to [-1, 1] and flattened, so its "LPIPS" is the
pixel L2 (tests/test_ppl.py's `l2`; LPIPS itself is checked against torchmetrics there), and G's noise
strengths are 0 (the reference fixes one noise draw per batch, ganbench one per pair). The latents and t it
drew (torch's global generator, seeded here) are stored, so the test feeds ganbench the same draws.

Run (needs torch and numpy; the reference repo comes from the `fetch` mirror or a clone):
  python benchmarks/reference/ppl_fixture.py [--repo /work/.mirror/NVlabs+stylegan2-ada-pytorch/repo]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

COMMIT = "d72cc7d041b42ec8e806021a205ed9349f87c6a4"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "ppl_reference.npz"
N = 12  # pairs per configuration, one batch
CONFIGS = [("z", "end", False), ("z", "full", True), ("w", "end", True), ("w", "full", False)]
sys.path.insert(0, str(ROOT))

from ganbench.baselines.stylegan2 import Generator  # noqa: E402

SMALL = {"z_dim": 16, "w_dim": 16, "img_resolution": 16, "channel_base": 256, "channel_max": 16, "conv_clamp": 4}


def export(repo: str) -> str:
    out = tempfile.mkdtemp(prefix="sg2ada-ppl-")
    archive = subprocess.run(
        ["git", f"--git-dir={repo}", "archive", COMMIT, "metrics", "torch_utils", "dnnlib"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", out], input=archive, check=True)
    return out


class PixelL2:
    """The reference calls vgg16(img in [0, 255], resize_images=False, return_lpips=True) -> (N, features)."""

    def __call__(self, img, resize_images=False, return_lpips=True):
        return (img / 127.5 - 1).flatten(1)


def generator() -> Generator:
    torch.manual_seed(0)
    return Generator(**SMALL).eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo")
    args = ap.parse_args()
    sys.path.insert(0, export(args.repo))
    from metrics.perceptual_path_length import PPLSampler

    G = generator()
    out = {f"G.{k}": v.numpy() for k, v in G.state_dict().items()}
    for i, (space, sampling, crop) in enumerate(CONFIGS):
        sampler = PPLSampler(G, {}, 1e-4, space, sampling, crop, PixelL2()).eval()
        torch.manual_seed(100 + i)
        with torch.no_grad():
            dist = sampler(torch.zeros([N, 0]))
        torch.manual_seed(100 + i)  # the sampler's draws replayed: t first, then z0 and z1
        t = torch.rand([N])
        z0, z1 = torch.randn([N * 2, G.z_dim]).chunk(2)
        key = f"{space}_{sampling}_{'crop' if crop else 'nocrop'}"
        out.update({f"{key}.t": t.numpy(), f"{key}.z0": z0.numpy(), f"{key}.z1": z1.numpy()})
        out[f"{key}.dist"] = dist.double().numpy()
        print(key, dist.mean().item())
    np.savez(OUT, commit=COMMIT, **out)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
