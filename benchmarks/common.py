"""Helpers shared by the benchmarks: inputs, the reference implementations' entry points."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

# Inception-v3 at 299x299: 5.71 G multiply-adds per image (convolutions + fc), i.e. 11.4 GFLOP;
# computed by `inception_flops()` and checked in bench_extract.
GMAC_PER_IMAGE = 5.713


def inception_flops() -> float:
    """Multiply-adds of one 299x299 forward pass (convolutions and the fc layer)."""
    import torch

    from ganbench.features.inception import InceptionV3

    model = InceptionV3().eval()
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            macs[0] += out.numel() * k

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, 299, 299))
    for h in hooks:
        h.remove()
    return macs[0] + model.fc.in_features * model.fc.out_features


def rel_diff(a, b) -> float:
    """max |a - b| / max |b|: the agreement measure used throughout."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def exact_fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID of two feature sets with tr sqrt(S1 S2) as the nuclear norm of Xa Xb^T / sqrt((na-1)(nb-1)).

    (Xa, Xb centred.) The nonzero eigenvalues of S1 S2 are the squared singular values of that
    na x nb matrix, so for small sets this is exact to float64 rounding, with no spurious
    eigenvalues from the d - n zero ones. For an independent check of rank-deficient FIDs.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ac, bc = a - a.mean(0), b - b.mean(0)
    k = ac @ bc.T / np.sqrt((len(a) - 1) * (len(b) - 1))
    trace_sqrt = np.linalg.svd(k, compute_uv=False).sum()
    mu = a.mean(0) - b.mean(0)
    return float(mu @ mu + (ac * ac).sum() / (len(a) - 1) + (bc * bc).sum() / (len(b) - 1) - 2 * trace_sqrt)


def upscale(images: np.ndarray, size: int) -> np.ndarray:
    """(N,32,32,3) uint8 -> (N,size,size,3) uint8 with PIL bicubic: larger real-looking inputs."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.BICUBIC)) for im in images])


def synthetic_images(n: int, seed: int = 0, size: int = 32) -> np.ndarray:
    """Smooth random colour fields with edges, (n,size,size,3) uint8: stand-ins for real photos."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        f = rng.uniform(0.5, 4, (3, 2))
        ph = rng.uniform(0, 2 * np.pi, (3, 2))
        img = np.stack(
            [
                np.sin(2 * np.pi * f[c, 0] * xx + ph[c, 0]) * np.cos(2 * np.pi * f[c, 1] * yy + ph[c, 1])
                for c in range(3)
            ],
            -1,
        )
        img += (xx[..., None] > rng.uniform()) * rng.uniform(-0.5, 0.5, 3)
        img += rng.normal(0, 0.08, img.shape)
        out[i] = np.clip(127.5 + 100 * img, 0, 255).astype(np.uint8)
    return out


def synthetic_features(n: int, d: int = 2048, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """Non-negative, correlated, full-rank float32 features shaped like Inception pool3 ones."""
    rng = np.random.default_rng(seed)
    k = 256
    basis = np.random.default_rng(12345).standard_normal((k, d)).astype(np.float32) / np.sqrt(k)
    out = np.empty((n, d), np.float32)
    for s in range(0, n, 8192):
        m = min(8192, n - s)
        z = rng.standard_normal((m, k), dtype=np.float32)
        x = z @ basis * scale + 0.35 + 0.15 * rng.standard_normal((m, d), dtype=np.float32)
        np.maximum(x, 0, out=out[s : s + m])
    return out


class StubExtractor:
    """Cheap deterministic stand-in for Inception (memory benchmark): a fixed random projection."""

    name = "stub"
    dims = {"pool": 2048, "logits": 1008}

    def __init__(self, seed: int = 0):
        import torch

        g = torch.Generator().manual_seed(seed)
        self.proj = torch.randn(32 * 32 * 3, 2048, generator=g) / 55.0
        self.max_batch = 256

    @property
    def preferred_batch(self):
        return self.max_batch

    def describe(self):
        return {
            "extractor": self.name,
            "weights_sha256": "stub",
            "weights_official": False,
            "resize": "none",
            "dtype": "float32",
        }

    def __call__(self, images):
        import torch

        x = torch.as_tensor(np.ascontiguousarray(images)).reshape(len(images), -1).float() / 255
        pool = torch.relu(x @ self.proj)
        return pool.numpy(), np.zeros((len(images), 1008), np.float32)


# ------------------------------------------------------------------ reference implementations
class TorchFidelity:
    """torch-fidelity's own extraction path: its Inception and its DataLoader, with its defaults."""

    batch_size = 64  # torch-fidelity's default

    def __init__(self, weights: Path, device: str):
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        self.cuda = device.startswith("cuda")
        fx = FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(weights)
        )
        self.fx = fx.cuda() if self.cuda else fx
        self.fx.eval()

    def __call__(self, images: np.ndarray):
        from torch_fidelity.utils import get_featuresdict_from_dataset

        out = get_featuresdict_from_dataset(
            UInt8Dataset(images), self.fx, self.batch_size, self.cuda, save_cpu_ram=False, verbose=False
        )
        return out["2048"].numpy(), out["logits_unbiased"].numpy()


class UInt8Dataset:
    """(N,H,W,3) uint8 -> a torch Dataset of (3,H,W) uint8 tensors, as torch-fidelity takes."""

    def __new__(cls, images):
        import torch

        class _DS(torch.utils.data.Dataset):
            def __init__(self, arr):
                self.t = torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).contiguous()

            def __len__(self):
                return len(self.t)

            def __getitem__(self, i):
                return self.t[i]

        return _DS(images)


def tf_layers_forward(fx, x):
    """torch-fidelity's network after its resize: (N,3,299,299) in [-1,1] -> pool3."""
    import torch
    import torch.nn.functional as F

    x = fx.Conv2d_1a_3x3(x)
    x = fx.Conv2d_2a_3x3(x)
    x = fx.Conv2d_2b_3x3(x)
    x = fx.MaxPool_1(x)
    x = fx.Conv2d_3b_1x1(x)
    x = fx.Conv2d_4a_3x3(x)
    x = fx.MaxPool_2(x)
    for name in (
        "Mixed_5b",
        "Mixed_5c",
        "Mixed_5d",
        "Mixed_6a",
        "Mixed_6b",
        "Mixed_6c",
        "Mixed_6d",
        "Mixed_6e",
        "Mixed_7a",
        "Mixed_7b",
        "Mixed_7c",
    ):
        x = getattr(fx, name)(x)
    return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class CleanFid:
    """clean-fid's mode="clean" path from its own pieces: `make_resizer` (PIL bicubic on float
    channels) per image, then `get_batch_features`, batch 32 (its default). Its network is a
    TorchScript file it downloads (offline here), which normalises (x - 128) / 128 and runs the
    TF 2015 graph: the same graph torch-fidelity's layers implement, used here with our weights.
    """

    batch_size = 32

    def __init__(self, weights: Path, device: str):
        import torch
        from cleanfid.resize import make_resizer
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        fx = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights))
        self.device = torch.device(device)
        fx = fx.to(self.device).eval()

        class InceptionV3W(torch.nn.Module):  # clean-fid's wrapper with resize_inside=False
            def forward(self, x):
                return tf_layers_forward(fx, (x - 128) / 128).float()  # bf16 autocast: numpy needs float

        self.model = InceptionV3W()
        self.resize = make_resizer("PIL", False, "bicubic", (299, 299))

    def __call__(self, images: np.ndarray):
        import torch
        from cleanfid.fid import get_batch_features

        feats = []
        for s in range(0, len(images), self.batch_size):
            batch = np.stack([self.resize(im) for im in images[s : s + self.batch_size]])
            t = torch.from_numpy(batch.transpose(0, 3, 1, 2).copy())
            feats.append(get_batch_features(t, self.model, self.device))
        return np.concatenate(feats)


class PytorchFid:
    """pytorch-fid's InceptionV3 block [3] (pool3), with its own resize (bilinear) and scaling;
    fed float [0,1] batches of 50 (its default), as its `get_activations` does."""

    batch_size = 50

    def __init__(self, weights: Path, device: str):
        import pytorch_fid.inception as pi
        import torch

        state = torch.load(weights, map_location="cpu", weights_only=True)
        original = pi.load_state_dict_from_url
        pi.load_state_dict_from_url = lambda *a, **k: state  # offline: our weights, same keys
        try:
            self.model = pi.InceptionV3([3]).to(device).eval()
        finally:
            pi.load_state_dict_from_url = original
        self.device = torch.device(device)

    def __call__(self, images: np.ndarray, scale: float = 255.0):
        import torch

        feats = []
        with torch.no_grad():
            for s in range(0, len(images), self.batch_size):
                x = torch.from_numpy(np.ascontiguousarray(images[s : s + self.batch_size])).permute(0, 3, 1, 2)
                x = x.to(self.device).float() / scale
                feats.append(self.model(x)[0].squeeze(-1).squeeze(-1).cpu().numpy())
        return np.concatenate(feats)


def best_of(fn, rounds: int):
    """(best seconds, last output) of `rounds` calls: for untimed helpers outside pytest-benchmark."""
    best, out = float("inf"), None
    for _ in range(rounds):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out
