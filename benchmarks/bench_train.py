"""Training step time at batch 64, ganbench against the same architecture from a public reference
implementation, in the same process and run, interleaved; reported as ratios (reference / ganbench).

* dcgan: pytorch-gan-collections' Generator32 / Discriminator32 in the loop of its dcgan.py
  (BCE, D on real then fake, G batch 2x the D batch);
* wgan-gp: pytorch-gan-collections' wgangp.py CNN in the loop of its wgangp.py (n_dis 5, GP 10);
* sngan-resnet: torch-mimicry 0.1.16's SNGANGenerator32 / SNGANDiscriminator32 and their own
  `train_step` methods (n_dis 5, hinge, G batch = D batch).

pytorch-gan-collections is plain PyTorch on GitHub: pass `--pgc DIR` holding its
source/models/{dcgan,wgangp}.py at 860e90b. torch-mimicry: `pip install --no-deps torch-mimicry==0.1.16`.

    python benchmarks/bench_train.py --pgc /path/to/models --out benchmarks/results/train_speed.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
import types
from pathlib import Path

import torch
import torch.nn.functional as F

B = 64


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _mimicry():
    spec = importlib.util.find_spec("torch_mimicry")
    pkg = types.ModuleType("torch_mimicry")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["torch_mimicry"] = pkg
    training = types.ModuleType("torch_mimicry.training")  # its __init__ imports tensorboard; MetricLog needs nothing
    training.__path__ = [str(Path(pkg.__path__[0]) / "training")]
    sys.modules["torch_mimicry.training"] = training
    from torch_mimicry.nets.sngan import sngan_32
    from torch_mimicry.training.metric_log import MetricLog

    return sngan_32, MetricLog


def reference_step(kind: str, G, D, optG, optD, real_iter, z_dim: int, device: str = "cpu", batch: int = B):
    """One generator step of the reference's own loop (real batches of `batch` already on `device`)."""
    if kind == "mimicry":
        from torch_mimicry.training.metric_log import MetricLog

        for _ in range(5):
            log = MetricLog()
            D.train_step(next(real_iter), G, optD, log, device=device)
        G.train_step(next(real_iter), D, optG, MetricLog(), device=device)
        return
    n_dis = 5 if kind == "wgangp" else 1
    for _ in range(n_dis):
        with torch.no_grad():
            fake = G(torch.randn(batch, z_dim, device=device)).detach()
        real = next(real_iter)[0]
        d_real, d_fake = D(real), D(fake)
        if kind == "dcgan":
            loss = F.binary_cross_entropy_with_logits(
                d_real, torch.ones_like(d_real)
            ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        else:
            loss = d_fake.mean() - d_real.mean()
            t = torch.rand(batch, 1, 1, 1, device=device)
            x = (t * real + (1 - t) * fake).requires_grad_(True)
            (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
            loss = loss + 10 * ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        optD.zero_grad()
        loss.backward()
        optD.step()
    out = D(G(torch.randn(2 * batch, z_dim, device=device)))
    loss = F.binary_cross_entropy_with_logits(out, torch.ones_like(out)) if kind == "dcgan" else -out.mean()
    optG.zero_grad()
    loss.backward()
    optG.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pgc", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--out", default="benchmarks/results/train_speed.md")
    args = ap.parse_args()
    import numpy as np

    from ganbench.baselines import baseline_config
    from ganbench.train.data import TrainData
    from ganbench.train.loop import Trainer
    from ganbench.train.options import resolve

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (1024, 32, 32, 3), dtype=np.uint8)
    data = TrainData("bench", "images", (3, 32, 32), images)
    real = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1

    def real_iter():
        i = 0
        while True:
            yield (real[i % 1024 : i % 1024 + B], None)
            i = (i + B) % (1024 - B)

    pgc_dc, pgc_wg = _load(args.pgc / "dcgan.py", "pgc_dcgan"), _load(args.pgc / "wgangp.py", "pgc_wgangp")
    sngan_32, _ = _mimicry()
    cases = {
        "dcgan": (
            "dcgan",
            lambda: (pgc_dc.Generator32(100), pgc_dc.Discriminator32()),
            (0.5, 0.999),
            100,
            {"batch_size": B, "g_batch_size": 2 * B},
            "pytorch-gan-collections dcgan.py",
        ),
        "wgan-gp": (
            "wgangp",
            lambda: (pgc_wg.Generator32(128), pgc_wg.Discriminator32()),
            (0.0, 0.9),
            128,
            {"batch_size": B, "g_batch_size": 2 * B},
            "pytorch-gan-collections wgangp.py",
        ),
        "sngan-resnet": (
            "mimicry",
            lambda: (sngan_32.SNGANGenerator32(), sngan_32.SNGANDiscriminator32()),
            (0.0, 0.9),
            128,
            {"batch_size": B, "g_batch_size": B},
            "torch-mimicry 0.1.16 sngan_32 train_step",
        ),
    }
    rows = []
    for name, (kind, make, betas, z_dim, sets, ref_label) in cases.items():
        torch.manual_seed(0)
        G, D = make()
        optG = torch.optim.Adam(G.parameters(), 2e-4, betas=betas)
        optD = torch.optim.Adam(D.parameters(), 2e-4, betas=betas)
        cfg = resolve(baseline_config(name)["train"], {**sets, "lr_schedule": "constant"})
        ours = Trainer(cfg, data, 0, channels_last=True)  # as `ganbench train` runs it
        it = real_iter()
        reference_step(kind, G, D, optG, optD, it, z_dim)  # warm-up
        ours.train_step()
        t_ref, t_ours = [], []
        for _ in range(args.steps):
            t = time.perf_counter()
            reference_step(kind, G, D, optG, optD, it, z_dim)
            t_ref.append(time.perf_counter() - t)
            t = time.perf_counter()
            ours.train_step()
            t_ours.append(time.perf_counter() - t)
        r, o = statistics.median(t_ref), statistics.median(t_ours)
        rows.append(
            {
                "baseline": name,
                "reference": ref_label,
                "reference_s": r,
                "ganbench_s": o,
                "ratio": r / o,
                "n_dis": cfg["n_dis"],
                "g_batch": cfg["g_batch_size"],
            }
        )
        print(rows[-1], flush=True)
    # sampling must not be the slow part of `ganbench eval RUN`: G's images/s against Inception's
    from ganbench.train.sampling import generate

    sample_rows = []
    for name in ("dcgan", "sngan-resnet"):
        cfg = resolve(baseline_config(name)["train"])
        G = Trainer(cfg, data, 0).nets.G.eval()
        info = {"kind": "images", "z_dim": cfg["z_dim"], "num_classes": 0}
        generate(G, info, 500, 0, progress=False)
        t = time.perf_counter()
        generate(G, info, 2000, 0, progress=False)
        sample_rows.append((name, 2000 / (time.perf_counter() - t)))
        print(sample_rows[-1], flush=True)
    lines = [
        f"# Training step time, batch {B}, CPU ({torch.get_num_threads()} threads, torch {torch.__version__})",
        "",
        f"Median of {args.steps} generator steps (each n_dis D updates + 1 G update), interleaved with the "
        "reference in one process. `python benchmarks/bench_train.py --pgc DIR`",
        "",
        "| baseline | reference | n_dis | G batch | reference s/step | ganbench s/step | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['baseline']} | {r['reference']} | {r['n_dis']} | {r['g_batch']} | {r['reference_s']:.3f} | "
            f"{r['ganbench_s']:.3f} | {r['ratio']:.2f}x |"
        )
    lines += [
        "",
        "Sampling (G in eval mode, batch 500, CPU): images/s; for scale, Inception feature extraction "
        "runs at ~14 img/s on this machine (benchmarks/results/cpu-amd-epyc-2c.md), so sampling is not "
        "the slow part of `ganbench eval RUN`.",
        "",
        "| baseline | images/s |",
        "| --- | ---: |",
    ]
    lines += [f"| {n} | {r:.0f} |" for n, r in sample_rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
