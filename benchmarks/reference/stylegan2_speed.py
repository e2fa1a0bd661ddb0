"""The speed cost of ganbench's plain-PyTorch StyleGAN2 against stylegan2-ada-pytorch's own networks with
their custom CUDA ops (bias_act, upfirdn2d; conv2d_gradfix only where its torch version allows), on a GPU:
images/s of one training-like step (G(z, c) in training mode, D on the images, the non-saturating loss,
backward through D and G) at the cifar cfg's per-GPU batch of 32. Three rows: ganbench (float32), the
reference in float32 (num_fp16_res=0), the reference as --cfg=cifar runs (num_fp16_res=4, mixed precision).
The reference's plugins compile on first use (nvcc, ninja); which implementation ran is printed.

  python benchmarks/reference/stylegan2_speed.py --repo /work/.mirror/NVlabs+stylegan2-ada-pytorch/repo
  python benchmarks/reference/stylegan2_speed.py --ref DIR   # DIR: training/, torch_utils/, dnnlib/ exported
Not run in CI or tests (it needs CUDA); results go to stdout as JSON (--json FILE to keep them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stylegan2_fixture import COMMIT, ROOT, export  # noqa: E402

sys.path.insert(0, str(ROOT))
from ganbench.baselines.stylegan2 import networks  # noqa: E402


def step_rate(G, D, batch, iters, c_dim, device):
    G.train(), D.train()
    z = torch.randn(batch, 512, device=device)
    c = torch.nn.functional.one_hot(torch.arange(batch, device=device) % c_dim, c_dim).float() if c_dim else None

    def step():
        img = G(z, c)
        loss = torch.nn.functional.softplus(-D(img, c)).mean()
        loss.backward()

    for _ in range(5):  # warm-up: cudnn autotuning, plugin compilation
        step()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - t)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo")
    ap.add_argument("--ref", default=None, help="an exported reference tree (else exported from --repo)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--c-dim", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        raise SystemExit("stylegan2_speed: needs a CUDA GPU (the reference's custom ops exist only there)")
    sys.path.insert(0, args.ref or export(args.repo))
    from torch_utils.ops import bias_act, conv2d_gradfix, upfirdn2d
    from training import networks as net

    torch.backends.cudnn.benchmark = True  # as the reference's training loop
    conv2d_gradfix.enabled = True
    dev = torch.device("cuda")
    rows = {}
    G, D = networks(512, args.c_dim, 32)
    rows["ganbench (float32, plain PyTorch)"] = step_rate(G.to(dev), D.to(dev), args.batch, args.iters, args.c_dim, dev)
    print(json.dumps(rows), flush=True)  # row by row: the reference's plugins may take minutes to build
    for fp16 in (0, 4):
        G = net.Generator(
            z_dim=512,
            c_dim=args.c_dim,
            w_dim=512,
            img_resolution=32,
            img_channels=3,
            mapping_kwargs=dict(num_layers=2),
            synthesis_kwargs=dict(channel_base=32768, channel_max=512, num_fp16_res=fp16, conv_clamp=256),
        )
        D = net.Discriminator(
            c_dim=args.c_dim,
            img_resolution=32,
            img_channels=3,
            architecture="orig",
            channel_base=32768,
            channel_max=512,
            num_fp16_res=fp16,
            conv_clamp=256,
            epilogue_kwargs=dict(mbstd_group_size=32),
        )
        name = f"reference ({'num_fp16_res=4, as --cfg=cifar' if fp16 else 'float32'}, custom ops)"
        rows[name] = step_rate(G.to(dev), D.to(dev), args.batch, args.iters, args.c_dim, dev)
        print(json.dumps({name: rows[name]}), flush=True)
    out = {
        "reference": f"NVlabs/stylegan2-ada-pytorch@{COMMIT}",
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "batch": args.batch,
        "iters": args.iters,
        "c_dim": args.c_dim,
        "images_per_s": {k: round(v, 1) for k, v in rows.items()},
        "reference_plugins": {
            "bias_act": bias_act._plugin is not None,
            "upfirdn2d": upfirdn2d._plugin is not None,
            "conv2d_gradfix": bool(conv2d_gradfix._should_use_custom_op(torch.zeros(1, device=dev))),
        },
    }
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
