"""How far ganbench's psnr/ssim/lpips are from scikit-image, the lpips package, torchmetrics and piq on the
same inputs: 64 CIFAR-10 test images of the shared excerpt and copies with uniform noise in [-20, 20].

    PYTHONPATH=. python benchmarks/paired_agreement.py

Prints one line per comparison: the largest per-image difference, and what convention explains it.
The tests (tests/test_paired.py) assert the scikit-image and lpips ones; this script measures the rest.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ganbench.features.lpips_net import LPIPS
from ganbench.metrics import psnr, ssim

DATA = Path(os.environ.get("GANBENCH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    import lpips
    import piq
    from safetensors.torch import load_file
    from skimage.color import rgb2ycbcr
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    from torchmetrics.functional.image import peak_signal_noise_ratio as tm_psnr
    from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

    warnings.simplefilter("ignore")
    t = np.load(DATA / "cifar10-excerpt.npz")["test_images"][:64]
    o = np.clip(t.astype(int) + np.random.default_rng(0).integers(-20, 21, t.shape), 0, 255).astype(np.uint8)

    def tensor(x):
        return torch.from_numpy(x.transpose(0, 3, 1, 2)).double()

    def line(what, diff, note=""):
        print(f"{what:62s} max |diff| {float(np.max(np.abs(diff))):.3g}  {note}")

    for channel, crop in (("rgb", 0), ("y", 0), ("y", 4)):
        opts = {"paired_channel": channel, "paired_crop": crop}
        p, s = psnr.per_pair(o, t, opts), ssim.per_pair(o, t, opts)
        rp, rs = [], []
        for a, b in zip(o, t):
            if crop:
                a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
            a, b, kw = (
                (rgb2ycbcr(a)[..., 0], rgb2ycbcr(b)[..., 0], {})
                if channel == "y"
                else (a.astype(np.float64), b.astype(np.float64), {"channel_axis": -1})
            )
            rp.append(peak_signal_noise_ratio(b, a, data_range=255))
            rs.append(
                structural_similarity(
                    b, a, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, **kw
                )
            )
        line(f"psnr vs skimage ({channel}, crop {crop}) dB", p - rp)
        line(f"ssim vs skimage ({channel}, crop {crop})", s - rs)

    p, s = psnr.per_pair(o, t, {}), ssim.per_pair(o, t, {})
    line(
        "psnr vs torchmetrics per image (dim=(1,2,3)) dB",
        tm_psnr(tensor(o), tensor(t), data_range=255.0, dim=(1, 2, 3), reduction="none").numpy() - p,
    )
    line(
        "psnr mean vs torchmetrics default (one pooled MSE) dB",
        float(tm_psnr(tensor(o), tensor(t), data_range=255.0)) - p.mean(),
        "pools the set's squared errors",
    )
    line(
        "ssim vs torchmetrics (data_range=255)",
        tm_ssim(tensor(o), tensor(t), data_range=255.0, reduction="none").numpy() - s,
        "averages the reflect-padded border too (no valid crop)",
    )
    line(
        "psnr vs piq (data_range=255) dB",
        piq.psnr(tensor(o), tensor(t), data_range=255.0, reduction="none").numpy() - p,
        "piq adds 1e-8 to the MSE",
    )
    line(
        "psnr Y vs piq convert_to_greyscale dB",
        piq.psnr(tensor(o), tensor(t), data_range=255.0, reduction="none", convert_to_greyscale=True).numpy()
        - psnr.per_pair(o, t, {"paired_channel": "y"}),
        "piq: 0.299/0.587/0.114, no 16 offset",
    )
    line(
        "ssim vs piq (data_range=255)",
        piq.ssim(tensor(o), tensor(t), data_range=255.0, reduction="none").numpy() - s,
        "(piq average-pools images of 384+ px first: downsample=True)",
    )

    for net in ("alex", "vgg"):
        ours = LPIPS(net, weights="random", device="cpu")
        ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
        feats = {k[len("features.") :]: v for k, v in load_file(str(ours.weights.path)).items()}
        for part in (ref.net.slice1, ref.net.slice2, ref.net.slice3, ref.net.slice4, ref.net.slice5):
            part.load_state_dict({k: feats[k] for k in part.state_dict()})
        with torch.no_grad():
            want = ref(*(torch.from_numpy(x.transpose(0, 3, 1, 2) / 127.5 - 1).float() for x in (o, t))).view(-1)
        line(f"lpips {net} vs lpips.LPIPS on the same random backbone", ours(o, t) - want.double().numpy())


if __name__ == "__main__":
    main()
