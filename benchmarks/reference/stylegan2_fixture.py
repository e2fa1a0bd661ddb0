"""Golden fixture for ganbench's StyleGAN2 (tests/test_stylegan2.py): builds NVlabs/stylegan2-ada-pytorch's
own networks (training/networks.py at the commit below, its torch_utils ops on CPU, i.e. their impl='ref'
paths), loads the SAME weights into ganbench's networks (`load_reference_state`) and compares outputs.

  1. the full --cfg=cifar networks (G: z 512, w 512, map=2, channel_base 32768, channel_max 512,
     conv_clamp 256, num_fp16_res 4 run with force_fp32=True; D: architecture 'orig', mbstd group 32),
     unconditional and c_dim=10: parameter counts and the max abs differences of the outputs, of the
     gradients of G's and D's parameters and of R1's double backward, printed and written to
     benchmarks/results/stylegan2_reference.json (too big to store: 80 MB of weights each);
  2. a width-reduced config of the same code (z/w 32, 16 channels; D 'orig' and 'resnet'), unconditional
     and c_dim=10, whose weights, inputs, fixed noise and outputs go to tests/data/stylegan2_reference.npz.

Run (needs only torch and numpy; the reference repo comes from the `fetch` mirror or a clone):
  python benchmarks/reference/stylegan2_fixture.py [--repo /work/.mirror/NVlabs+stylegan2-ada-pytorch/repo]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

COMMIT = "d72cc7d041b42ec8e806021a205ed9349f87c6a4"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganbench.baselines.stylegan2 import Discriminator, Generator, load_reference_state  # noqa: E402


def export(repo: str) -> str:
    out = tempfile.mkdtemp(prefix="sg2ada-")
    archive = subprocess.run(
        ["git", f"--git-dir={repo}", "archive", COMMIT, "training", "torch_utils", "dnnlib"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", out], input=archive, check=True)
    return out


def reference_nets(net, c_dim, small, d_arch="orig"):
    # small: 16 channels, and conv_clamp 4 so that the clamping is exercised (256 is never reached)
    widths = (
        dict(channel_base=512, channel_max=16, conv_clamp=4)
        if small
        else dict(channel_base=32768, channel_max=512, conv_clamp=256)
    )
    zw = 32 if small else 512
    G = net.Generator(
        z_dim=zw,
        c_dim=c_dim,
        w_dim=zw,
        img_resolution=32,
        img_channels=3,
        mapping_kwargs=dict(num_layers=2),
        synthesis_kwargs=dict(num_fp16_res=4, **widths),
    )
    D = net.Discriminator(
        c_dim=c_dim,
        img_resolution=32,
        img_channels=3,
        architecture=d_arch,
        num_fp16_res=4,
        epilogue_kwargs=dict(mbstd_group_size=32),
        **widths,
    )
    return G, D, zw, widths


def ours(c_dim, zw, widths, d_arch="orig"):
    G = Generator(z_dim=zw, c_dim=c_dim, w_dim=zw, **widths)
    D = Discriminator(c_dim=c_dim, architecture=d_arch, mbstd_group_size=32, **widths)
    return G, D


def count(m):
    return sum(p.numel() for p in m.parameters())


def run_both(rG, rD, G, D, z, c, seed):
    """Every output the fixture checks, from the reference (r) and from ganbench (o)."""
    res = {}
    with torch.no_grad():
        for mode, train in (("eval", False), ("train", True)):  # fused vs separate modulation
            rG.train(train), G.train(train), rD.train(train), D.train(train)
            ws_r = rG.mapping(z, c, skip_w_avg_update=True)
            ws_o = G.mapping(z, c)
            res[f"ws_{mode}"] = (ws_r, ws_o)
            res[f"img_const_{mode}"] = (
                rG.synthesis(ws_r, noise_mode="const", force_fp32=True),
                G.synthesis(ws_o, noise_mode="const"),
            )
            torch.manual_seed(seed)
            a = rG.synthesis(ws_r, noise_mode="random", force_fp32=True)
            torch.manual_seed(seed)
            res[f"img_random_{mode}"] = (a, G.synthesis(ws_o, noise_mode="random"))
            img = res[f"img_const_{mode}"][0]
            res[f"d_{mode}"] = (rD(img, c, force_fp32=True), D(img, c))
        rG.eval(), G.eval()
        res["ws_trunc"] = (
            rG.mapping(z, c, truncation_psi=0.7, truncation_cutoff=None),
            G.mapping(z, c, truncation_psi=0.7),
        )
        res["ws_trunc_cut"] = (
            rG.mapping(z, c, truncation_psi=0.5, truncation_cutoff=3),
            G.mapping(z, c, truncation_psi=0.5, truncation_cutoff=3),
        )
        rG.train(), G.train()
        rG.mapping(z, c)  # the reference moves w_avg in training mode; ganbench when asked to
        G.mapping(z, c, update_emas=True)
        res["w_avg_updated"] = (rG.mapping.w_avg.clone(), G.mapping.w_avg.clone())
    return res


def grads_both(rG, rD, G, D, z, c, seed):
    """Training mode, random noise: the gradients of sum D(G(z)) for every parameter of G and D, and R1's
    gradient of sum D(x) with respect to x (created for a second backward): max abs difference each."""
    diffs = {}
    for nets in ((rG, rD), (G, D)):
        for m in nets:
            m.train().zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    rD(rG(z, c, force_fp32=True), c, force_fp32=True).sum().backward()
    torch.manual_seed(seed)
    D(G(z, c), c).sum().backward()
    for name, (a, b) in (("G", (rG, G)), ("D", (rD, D))):
        pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
        diffs[f"grad_{name}"] = max(float((pa[k].grad - pb[k].grad).abs().max()) for k in pa if pa[k].grad is not None)
    with torch.no_grad():
        x = rG(z, c, noise_mode="const", force_fp32=True)
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    (ga,) = torch.autograd.grad(rD(xa, c, force_fp32=True).sum(), xa, create_graph=True)
    (gb,) = torch.autograd.grad(D(xb, c).sum(), xb, create_graph=True)
    diffs["r1_input_grad"] = float((ga - gb).detach().abs().max())
    pa, pb = dict(rD.named_parameters()), dict(D.named_parameters())
    ra = torch.autograd.grad(ga.square().sum(), [pa[k] for k in pa], allow_unused=True)  # out's bias: unused
    rb = torch.autograd.grad(gb.square().sum(), [pb[k] for k in pa], allow_unused=True)
    assert [u is None for u in ra] == [v is None for v in rb]
    diffs["r1_param_grad"] = max(float((u - v).abs().max()) for u, v in zip(ra, rb) if u is not None)
    return diffs


def randomise(G, gen):
    """Nonzero noise strengths, biases and w_avg, so that every term is exercised (fresh nets have 0s)."""
    with torch.no_grad():
        for n, t in list(G.named_parameters()) + list(G.named_buffers()):
            if n.endswith("noise_strength") or (n.endswith(".bias") and "affine" not in n) or n.endswith("w_avg"):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.5)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo")
    ap.add_argument("--out", default=str(ROOT / "tests/data/stylegan2_reference.npz"))
    ap.add_argument("--summary", default=str(ROOT / "benchmarks/results/stylegan2_reference.json"))
    args = ap.parse_args(argv)
    sys.path.insert(0, export(args.repo))
    from training import networks as net  # the reference's own code

    torch.set_num_threads(1)
    summary = {"reference": f"NVlabs/stylegan2-ada-pytorch@{COMMIT}", "configs": {}}
    store = {"seed": np.array(1234)}
    for small in (False, True):
        for c_dim in (0, 10):
            for d_arch in ("orig", "resnet") if small else ("orig",):
                name = f"{'small' if small else 'cifar'}_c{c_dim}_{d_arch}"
                torch.manual_seed(1234 + c_dim)
                rG, rD, zw, widths = reference_nets(net, c_dim, small, d_arch)
                gen = torch.Generator().manual_seed(99)
                randomise(rG, gen)
                G, D = ours(c_dim, zw, widths, d_arch)
                load_reference_state(G, rG.state_dict())
                load_reference_state(D, rD.state_dict())
                n = 4
                z = torch.randn(n, zw, generator=gen)
                c = torch.nn.functional.one_hot(torch.arange(n) % max(c_dim, 1), max(c_dim, 1)).float()[:, :c_dim]
                state_g = {k: v.clone() for k, v in rG.state_dict().items()}  # before run_both moves w_avg
                res = run_both(rG, rD, G, D, z, c, seed=7)
                diffs = {k: float((a - b).abs().max()) for k, (a, b) in res.items()}
                diffs.update(grads_both(rG, rD, G, D, z, c, seed=8))
                summary["configs"][name] = {
                    "params_reference": {"G": count(rG), "D": count(rD)},
                    "params_ganbench": {"G": count(G), "D": count(D)},
                    "max_abs_diff": diffs,
                    "batch": n,
                }
                print(name, summary["configs"][name]["params_reference"], "max |diff|", max(diffs.values()), flush=True)
                if small:  # G is the same for both D architectures (same seed): stored once, with 'orig'
                    p = name + "/"
                    store[p + "z"], store[p + "c"] = z.numpy(), c.numpy()
                    for k, v in rD.state_dict().items():
                        store[p + "D." + k] = v.numpy()
                    for k, (a, _) in res.items():
                        if d_arch == "orig" or k.startswith("d_"):
                            store[p + "out." + k] = a.numpy()
                    if d_arch == "orig":
                        for k, v in state_g.items():
                            store[p + "G." + k] = v.numpy()
    Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
    Path(args.summary).write_text(json.dumps(summary, indent=1) + "\n")
    np.savez_compressed(args.out, **store)
    print(
        "largest max |diff| over all configs and outputs:",
        max(v for cfg in summary["configs"].values() for v in cfg["max_abs_diff"].values()),
    )
    print("wrote", args.out, Path(args.out).stat().st_size, "bytes;", args.summary)


if __name__ == "__main__":
    main()
