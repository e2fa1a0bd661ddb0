"""benchmarks/gpu.py's training sections: step time against the reference implementations on the same
device, every image baseline at fp32 / bf16 / --compile, and torchrun against one process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from gpu_sections import load_images, sync

B = 64


def _data(ctx, conditional: bool):
    from ganbench.train.data import TrainData

    train, _ = load_images(ctx.args.data, False)
    labels = np.arange(len(train)) % 10 if conditional else None
    if conditional and ctx.args.data and Path(ctx.args.data).is_file():
        with np.load(ctx.args.data) as z:
            labels = z["train_labels"].astype(np.int64)
    return TrainData("bench", "images", (3, 32, 32), train, labels, 10 if conditional else 0)


def _trainer(name: str, ctx, sets: dict, amp=None, compile=False):
    from ganbench.baselines import baseline_config
    from ganbench.train.loop import Trainer
    from ganbench.train.options import resolve

    cfg = resolve(baseline_config(name)["train"], {**sets, "lr_schedule": "constant"})
    return Trainer(
        cfg, _data(ctx, cfg["conditional"]), 0, device=ctx.device, amp=amp, compile=compile, channels_last=True
    ), cfg


def _time(step, device: str, steps: int, warmup: int = 2):
    """(median seconds per call, seconds of the warm-up calls: compilation shows there)."""
    t0 = time.perf_counter()
    for _ in range(warmup):
        step()
    sync(device)
    warm = time.perf_counter() - t0
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - t)
    return statistics.median(times), warm


def _reference_cases(ctx):
    import torch
    from bench_train import _load, _mimicry

    cases = {}
    if ctx.args.pgc and Path(ctx.args.pgc).is_dir():
        dc, wg = _load(ctx.args.pgc / "dcgan.py", "pgc_dcgan"), _load(ctx.args.pgc / "wgangp.py", "pgc_wgangp")
        cases["dcgan"] = (
            "dcgan",
            lambda: (dc.Generator32(100), dc.Discriminator32()),
            (0.5, 0.999),
            100,
            {"batch_size": B, "g_batch_size": 2 * B},
            "pytorch-gan-collections dcgan.py",
        )
        cases["wgan-gp"] = (
            "wgangp",
            lambda: (wg.Generator32(128), wg.Discriminator32()),
            (0.0, 0.9),
            128,
            {"batch_size": B, "g_batch_size": 2 * B},
            "pytorch-gan-collections wgangp.py",
        )
    else:
        ctx.res.note("train", "no --pgc folder: dcgan and wgan-gp are timed without their reference")
    try:
        sngan_32, _ = _mimicry()
        cases["sngan-resnet"] = (
            "mimicry",
            lambda: (sngan_32.SNGANGenerator32(), sngan_32.SNGANDiscriminator32()),
            (0.0, 0.9),
            128,
            {"batch_size": B, "g_batch_size": B},
            "torch-mimicry sngan_32",
        )
    except ImportError:
        ctx.res.note("train", "torch-mimicry absent: sngan-resnet is timed without its reference")
    del torch
    return cases


def train(ctx) -> None:
    import torch
    from bench_train import reference_step

    from ganbench.baselines import list_baselines

    res, dev = ctx.res, ctx.device
    steps = 1 if ctx.quick else 10
    b = 8 if ctx.quick else B
    real = torch.from_numpy(load_images(ctx.args.data, False)[0][:512]).permute(0, 3, 1, 2).float().div(127.5).sub(1)
    real = real.to(dev)

    def real_iter():
        i = 0
        while True:
            yield (real[i : i + b], None)
            i = (i + b) % (len(real) - b)

    cases = _reference_cases(ctx)
    if ctx.quick:  # the dry run times one reference (dcgan's when --pgc is given, else none)
        cases = {k: v for k, v in cases.items() if k == "dcgan"}
    for name, (kind, make, betas, z_dim, sets, label) in cases.items():
        sets = {**sets, "batch_size": b, "g_batch_size": sets["g_batch_size"] // B * b}
        torch.manual_seed(0)
        G, D = (m.to(dev) for m in make())
        optG = torch.optim.Adam(G.parameters(), 2e-4, betas=betas)
        optD = torch.optim.Adam(D.parameters(), 2e-4, betas=betas)
        it = real_iter()
        ref_s, _ = _time(lambda: reference_step(kind, G, D, optG, optD, it, z_dim, dev, b), dev, steps)  # noqa: B023 - called within this iteration
        ours, cfg = _trainer(name, ctx, sets)
        our_s, _ = _time(ours.train_step, dev, steps)
        res.add(
            "train",
            baseline=name,
            reference=label,
            precision="fp32",
            batch=b,
            n_dis=cfg["n_dis"],
            reference_s_per_step=ref_s,
            ganbench_s_per_step=our_s,
            ratio=f"{ref_s / our_s:.2f}x",
            ganbench_real_img_per_s=b * cfg["n_dis"] / our_s,
        )
    augment(ctx, real)
    names = [n for n in list_baselines() if not n.startswith("toy")]
    if ctx.quick:  # the dry run: one baseline's paths; compilation is tested in tests/test_gpu_path.py
        names = ["dcgan"]
    # every baseline at fp32 and bf16 first, then --compile (its warm-up is the compilation: tens of seconds)
    cases = [(n, p) for p in (("fp32", None, False), ("bf16", "bf16", False)) for n in names]
    if not ctx.quick:  # compilation takes minutes on 2 CPU cores: tests/test_gpu_path.py compiles a toy model
        cases += [(n, ("fp32 --compile", None, True)) for n in names]
    for name, (prec, amp, comp) in cases:
        if ctx.left() < (120 if comp else 75) and not ctx.quick:  # torchrun needs ~60-80 s after
            res.note("train", f"budget: skipped {name} {prec}")
            continue
        try:
            ours, cfg = _trainer(name, ctx, {"batch_size": b, "g_batch_size": b}, amp=amp, compile=comp)
            sec, warm = _time(ours.train_step, dev, steps)
        except Exception as exc:  # noqa: BLE001 - a finding to report, not a reason to stop
            res.add("train", baseline=name, precision=prec, batch=b, error=f"{type(exc).__name__}: {exc}"[:160])
            continue
        res.add(
            "train",
            baseline=name,
            precision=prec,
            batch=b,
            n_dis=cfg["n_dis"],
            ganbench_s_per_step=sec,
            ganbench_real_img_per_s=b * cfg["n_dis"] / sec,
            warmup_s=warm,
        )


def augment(ctx, real) -> None:
    """DiffAugment and ADA (p = 0.5) on the device: equal to the CPU result for the same draws, and their
    cost per batch of 64 (forward + backward, as D's and G's losses take it)."""
    import torch

    from ganbench.train import augment as aug_mod

    x = real[:64].detach()
    for name in ("diffaugment", "ada"):
        aug = aug_mod.build({"augment": name, "ada_p": 0.5})
        outs = []
        for dev in ("cpu", ctx.device):
            outs.append(aug(x.to(dev), torch.Generator().manual_seed(7)).cpu())
        xr = x.to(ctx.device).requires_grad_(True)

        def fwd_bwd():
            aug(xr, torch.Generator().manual_seed(7)).square().sum().backward()  # noqa: B023 - called within this iteration

        sec, _ = _time(fwd_bwd, ctx.device, 1 if ctx.quick else 10)
        ctx.res.add(
            "train",
            baseline=f"augment={name}",
            precision="fp32",
            batch=len(x),
            max_abs_diff_device_vs_cpu=float((outs[0] - outs[1]).detach().abs().max()),
            aug_fwd_bwd_s=sec,
        )


def _run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd[:6])}... exited {p.returncode}: {p.stderr.strip().splitlines()[-1:]}")
    return p


def torchrun(ctx) -> None:
    """The same eval and the same 3 training steps, by one process and by torchrun with one process."""
    from safetensors.torch import load_file

    from ganbench.train.checkpoint import list_steps, path_for

    res, tmp, dev = ctx.res, ctx.tmp, ctx.device
    train, test = load_images(ctx.args.data, ctx.quick)
    n = 12 if ctx.quick else 200
    train, test = train[:n], test[:n]
    np.savez(tmp / "gen.npz", train)
    np.savez(tmp / "ref.npz", test)
    np.savez(tmp / "train.npz", load_images(ctx.args.data, False)[0][:256])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    py = [sys.executable, "-m", "ganbench"]
    tr = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1", "-m", "ganbench"]
    out = {}
    for label, prefix in (("one process", py), ("torchrun 1 proc", tr)):
        j = tmp / f"eval-{len(out)}.json"
        _run(
            prefix
            + [
                "eval",
                str(tmp / "gen.npz"),
                "--ref",
                str(tmp / "ref.npz"),
                "--metrics",
                "fid,kid,precision,recall,density,coverage",
                "--kid-subset-size",
                str(min(100, len(test) - 1)),
                "--weights",
                str(ctx.weights),
                "--device",
                dev,
                "--json",
                str(j),
            ],
            env,
        )
        out[label] = json.loads(j.read_text())
    values = [{k: v.get("value") for k, v in o["metrics"].items()} for o in out.values()]
    diff = max(abs(values[0][k] - values[1][k]) / max(abs(values[0][k]), 1e-12) for k in values[0])
    res.add(
        "torchrun",
        case=f"eval fid, kid, precision/recall/density/coverage ({n} vs {n})",
        one_process=values[0],
        torchrun=values[1],
        max_rel_diff=diff,
    )
    runs = []
    for _label, prefix in (("one process", py), ("torchrun 1 proc", tr), ("one process again", py)):
        run = tmp / f"run-{len(runs)}"
        _run(
            prefix
            + [
                "train",
                "dcgan",
                "--data",
                str(tmp / "train.npz"),
                "--out",
                str(run),
                "--steps",
                "3",
                "--set",
                "batch_size=16",
                "--set",
                "g_batch_size=16",
                "--device",
                dev,
            ],
            env,
        )
        runs.append(load_file(str(path_for(run, list_steps(run)[-1]))))
    diff = max(
        float((runs[0][k].double() - runs[1][k].double()).abs().max())
        for k in runs[0]
        if runs[0][k].is_floating_point()
    )
    again = max(
        float((runs[0][k].double() - runs[2][k].double()).abs().max())
        for k in runs[0]
        if runs[0][k].is_floating_point()
    )
    res.add(
        "torchrun",
        case="train dcgan 3 steps, batch 16",
        tensors=len(runs[0]),
        max_abs_weight_diff=diff,
        identical=diff == 0.0,
        one_process_twice_max_abs_diff=again,
    )
