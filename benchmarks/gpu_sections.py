"""The sections of benchmarks/gpu.py: extraction, bf16's effect on FID, FID from features, and (in
gpu_train.py) training and torchrun. Every timed case is warmed up first and ends with a device sync."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import CleanFid, TorchFidelity, rel_diff, synthetic_features, upscale


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def precision(name: str, device: str):
    """fp32 with TF32 off, or bf16 autocast on the device."""
    import contextlib

    import torch

    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if name == "bf16":
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def load_images(data: Path, quick: bool):
    """(train, test) uint8 NHWC: the CIFAR-10 excerpt, or synthetic stand-ins without it."""
    from common import synthetic_images

    if data and Path(data).is_file():
        with np.load(data) as z:
            train, test = z["train_images"], z["test_images"]
    else:
        train, test = synthetic_images(1017, 0), synthetic_images(1017, 1)
    return (train[:24], test[:24]) if quick else (train, test)


EXTRACT_SHARE = 0.35  # of --budget; training gets most of the rest (gpu_train.py)


@dataclass
class Context:
    args: object
    res: object
    weights: Path
    tmp: Path
    t_start: float

    @property
    def device(self) -> str:
        return self.args.device

    @property
    def quick(self) -> bool:
        return self.args.quick

    def left(self) -> float:
        return self.args.budget - (time.perf_counter() - self.t_start)


def _ganbench_extractor(ctx, resize: str, device: str, batch: int, amp=None):
    from ganbench.features import InceptionExtractor

    return InceptionExtractor(weights=ctx.weights, resize=resize, device=device, max_batch=batch, amp=amp)


def _ganbench_run(fx, batch: int):
    from ganbench.features.pipeline import extract
    from ganbench.inputs.images import open_source

    def run(images):
        return extract(open_source(images), fx, batch_size=batch, keep="features", num_workers=0).pool

    return run


def _runner(ctx, impl: str, batch: int, prec: str):
    if impl in ("ganbench", "ganbench-clean"):
        fx = _ganbench_extractor(
            ctx,
            "clean" if impl == "ganbench-clean" else "tf-legacy",
            ctx.device,
            batch,
            amp="bf16" if prec == "bf16" else None,
        )
        return _ganbench_run(fx, batch)
    ref = {"torch-fidelity": TorchFidelity, "clean-fid": CleanFid}[impl](ctx.weights, ctx.device)
    ref.batch_size = batch
    return (lambda images: ref(images)[0]) if impl == "torch-fidelity" else ref


def extract(ctx) -> None:
    """Images/s per library, size, precision and batch; features against fp32 CPU features."""
    res = ctx.res
    train, test = load_images(ctx.args.data, ctx.quick)
    base = np.concatenate([test, train])
    n = 8 if ctx.quick else 1024  # the clean protocol resizes on the CPU (PIL): keep its share of the budget small
    images = {32: np.resize(base, (n,) + base.shape[1:])}
    if not ctx.quick:  # the dry run checks the code paths; 256 px only adds CPU minutes
        images[256] = upscale(images[32][:512], 256)
    batches = (8,) if ctx.quick else (64, 128, 256, 512)
    k = 8 if ctx.quick else 64  # images checked against the CPU
    cpu = {}
    for size in images:
        for resize in ("tf-legacy", "clean"):
            fx = _ganbench_extractor(ctx, resize, "cpu", 64)
            cpu[size, resize] = _ganbench_run(fx, 64)(images[size][:k])
    pairs = (("ganbench", "torch-fidelity"), ("ganbench-clean", "clean-fid"))
    timed = {}
    # most telling cases first, so that a budget cut drops the least: batch 256 at both sizes and precisions,
    # then 64 and 512, then 128
    order = [b for b in (256, 64, 512, 128) if b in batches] or list(batches)
    cases = [(size, prec, batch) for batch in order for size in images for prec in ("fp32", "bf16")]
    stop = ctx.args.budget * (1 - EXTRACT_SHARE)
    for size, prec, batch in cases:
        imgs = images[size]
        for pair in pairs:
            for impl in pair:
                if ctx.left() < stop:  # leave the later sections their time
                    res.note("extract", f"budget: stopped before {impl} {size}px {prec} batch {batch}")
                    return
                run = _runner(ctx, impl, batch, prec)
                with precision(prec, ctx.device):
                    run(imgs[:batch])  # warm-up: weights to the device, kernel selection
                    sync(ctx.device)
                    t = time.perf_counter()
                    feats = run(imgs)
                    sync(ctx.device)
                sec = time.perf_counter() - t
                resize = "clean" if "clean" in impl else "tf-legacy"
                row = res.add(
                    "extract",
                    size=f"{size}px",
                    precision=prec,
                    batch=batch,
                    impl=impl,
                    n=len(imgs),
                    img_per_s=len(imgs) / sec,
                    max_rel_diff_vs_cpu_fp32=rel_diff(feats[:k], cpu[size, resize]),
                )
                timed[size, prec, batch, impl] = row["img_per_s"]
            ours, ref = pair
            if (size, prec, batch, ref) in timed:
                res.rows[-2]["ratio"] = f"{timed[size, prec, batch, ours] / timed[size, prec, batch, ref]:.2f}x {ref}"


def bf16_fid(ctx) -> None:
    """FID (train vs test excerpt) from fp32 and from bf16-autocast features: the change bf16 makes."""
    from ganbench.metrics.fid import fid_from_features, frechet_distance
    from ganbench.stats import GaussianStats

    train, test = load_images(ctx.args.data, ctx.quick)
    if ctx.quick:
        train, test = train[:12], test[:12]
    feats = {}
    for prec in ("fp32", "bf16"):
        fx = _ganbench_extractor(
            ctx, "tf-legacy", ctx.device, 8 if ctx.quick else 256, amp="bf16" if prec == "bf16" else None
        )
        run = _ganbench_run(fx, fx.max_batch)
        with precision(prec, ctx.device):
            feats[prec] = (run(train), run(test))

    def fid(a, b):
        if min(len(a), len(b)) <= a.shape[1]:
            return fid_from_features(a, b)
        ga, gb = GaussianStats.from_features(a), GaussianStats.from_features(b)
        return frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma)

    f32, f16 = fid(*feats["fp32"]), fid(*feats["bf16"])
    ctx.res.add(
        "bf16-fid",
        weights=ctx.weights.name,
        n=f"{len(train)} vs {len(test)}",
        fid_fp32=f32,
        fid_bf16=f16,
        abs_change=f16 - f32,
        rel_change=(f16 - f32) / f32,
        feature_max_rel_diff=rel_diff(np.concatenate(feats["bf16"]), np.concatenate(feats["fp32"])),
    )


def fid(ctx) -> None:
    """FID from 2 x N x 2048 features: ganbench's float64 GPU route vs pytorch-fid (np.cov + sqrtm)."""
    import torch
    from pytorch_fid.fid_score import calculate_frechet_distance

    from ganbench.metrics.fid import frechet_distance
    from ganbench.stats import GaussianStats

    n, d = (600, 64) if ctx.quick else (50000, 2048)
    a, b = synthetic_features(n, d, 0), synthetic_features(n, d, 1, scale=1.05)
    res = ctx.res

    def ours_device():
        ta, tb = torch.from_numpy(a).to(ctx.device), torch.from_numpy(b).to(ctx.device)
        ga, gb = GaussianStats.from_tensor(ta), GaussianStats.from_tensor(tb)
        return frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma, device=ctx.device)

    def ours_cpu():
        ga, gb = GaussianStats.from_features(a), GaussianStats.from_features(b)
        return frechet_distance(ga.mu, ga.sigma, gb.mu, gb.sigma)

    import pytorch_fid.fid_score as pf
    import scipy.linalg

    if "disp" not in scipy.linalg.sqrtm.__code__.co_varnames:  # newer scipy dropped `disp`: same matrix

        class _Linalg:
            sqrtm = staticmethod(lambda m, disp=False: (scipy.linalg.sqrtm(m), 0.0))

        pf.linalg = _Linalg

    def pytorch_fid():
        ma, mb = np.mean(a, axis=0), np.mean(b, axis=0)
        sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        return float(calculate_frechet_distance(ma, sa, mb, sb))

    ours_device()  # warm-up: cuSOLVER handles, allocator
    sync(ctx.device)
    out = {}
    for name, fn in (
        (f"ganbench (torch on {ctx.device}, float64)", ours_device),
        ("ganbench (cpu, float64)", ours_cpu),
        ("pytorch-fid (cpu, np.cov + scipy sqrtm)", pytorch_fid),
    ):
        t = time.perf_counter()
        out[name] = fn()
        sync(ctx.device)
        out[name] = (out[name], time.perf_counter() - t)
    ref_value, ref_s = out["pytorch-fid (cpu, np.cov + scipy sqrtm)"]
    for name, (value, sec) in out.items():
        res.add(
            "fid",
            impl=name,
            n=f"2 x {n} x {d}",
            fid=value,
            seconds=sec,
            rel_diff_vs_pytorch_fid=abs(value - ref_value) / ref_value,
            speedup_vs_pytorch_fid=ref_s / sec,
        )
