"""ganbench's `wgan-dcgan32` networks against WGAN's own classes: writes benchmarks/results/wgan_reference.json
and tests/data/wgan_small.safetensors.

The reference is martinarjovsky/WassersteinGAN at COMMIT, models/dcgan.py (DCGAN_G, DCGAN_D), imported from
--dcgan FILE (get it with `git --git-dir=<mirror> show COMMIT:models/dcgan.py > FILE`, or from
https://raw.githubusercontent.com/martinarjovsky/WassersteinGAN/COMMIT/models/dcgan.py); its sha256 goes into
the JSON. The script builds DCGAN_G(isize, nz, nc=3, ngf, ngpu=1, n_extra_layers=0) and DCGAN_D likewise,
initialises them as main.py's weights_init does (conv weights N(0, 0.02), batch-norm scale N(1, 0.02), shift
0), counts parameters, runs two training-mode forwards so the batch-norm statistics move, copies every
parameter and buffer into ganbench's networks by position (their last conv, (1, C, 4, 4), becomes the
critic's head (1, C*16)), and compares the forwards in eval and in training mode. Their D returns the mean
over the batch; ganbench's critic one number per sample, whose mean is compared.

Full size (nz 100, ngf = ndf = 64) at isize 32 (the baseline) and 64 (main.py's default, for the record):
counts and max |difference| into the JSON. Small (nz 8, ngf = ndf = 8, isize 32): weights in ganbench's
names, inputs and the reference's outputs into the safetensors file tests/test_wgan.py reads.

    PYTHONPATH=. python benchmarks/reference/wgan_fixture.py --dcgan /tmp/wgan_ref/dcgan.py
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganbench.baselines import Critic, count_params  # noqa: E402
from ganbench.baselines.wgan import Generator, body  # noqa: E402

COMMIT = "f7a01e82007ea408647c451b9e1c8f1932a3db67"
# name -> (isize, nz, ngf = ndf)
FULL = {"isize32": (32, 100, 64), "isize64": (64, 100, 64)}
SMALL = {"small32": (32, 8, 8)}


def _reference(path: str):
    spec = importlib.util.spec_from_file_location("wgan_reference_dcgan", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _weights_init(m):
    """main.py's weights_init, applied with .apply as there."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


def ganbench_pair(isize: int, nz: int, width: int):
    G = Generator(nz, size=isize, width=width)
    b, features = body(isize, width=width)
    return G, Critic(b, features, head_bias=False)


def _copy(src: nn.Module, dst: nn.Module) -> None:
    a, b = src.state_dict(), dst.state_dict()
    if len(a) != len(b):
        raise SystemExit(f"{len(a)} reference tensors vs {len(b)} ganbench tensors")
    out = {}
    for (ka, va), (kb, vb) in zip(a.items(), b.items()):
        if kb == "head.weight":
            va = va.reshape(1, -1)  # their last conv on the 4x4 map is the head on the flattened map
        if va.shape != vb.shape or ka.rsplit(".", 1)[-1] != kb.rsplit(".", 1)[-1]:
            raise SystemExit(f"reference {ka} {tuple(va.shape)} does not line up with {kb} {tuple(vb.shape)}")
        out[kb] = va.clone()
    dst.load_state_dict(out)


def _compare(name, spec, ref, seed: int, n: int = 4):
    isize, nz, width = spec
    torch.manual_seed(seed)
    G_ref, D_ref = ref.DCGAN_G(isize, nz, 3, width, 1, 0), ref.DCGAN_D(isize, nz, 3, width, 1, 0)
    G_ref.apply(_weights_init), D_ref.apply(_weights_init)
    G, D = ganbench_pair(isize, nz, width)
    z = torch.randn(n, nz)
    x = torch.rand(n, 3, isize, isize) * 2 - 1
    with torch.no_grad():  # move the batch-norm running statistics away from (0, 1)
        for _ in range(2):
            D_ref(G_ref(z.view(n, nz, 1, 1))), D_ref(x.clone())
    _copy(G_ref, G), _copy(D_ref, D)
    start = {
        **{f"G.{k}": v.clone() for k, v in G.state_dict().items()},
        **{f"D.{k}": v.clone() for k, v in D.state_dict().items()},
    }
    out, diffs = {}, {}
    with torch.no_grad():
        for mode in ("eval", "train"):
            for m in (G_ref, D_ref, G, D):
                m.train(mode == "train")
            g_ref, g = G_ref(z.view(n, nz, 1, 1)), G(z)
            d_ref, d = D_ref(x.clone()), D(x.clone()).mean(0)  # their D: the batch mean, shape (1,)
            diffs[f"G_{mode}"] = float((g - g_ref).abs().max())
            diffs[f"D_{mode}"] = float((d - d_ref).abs().max())
            out[f"G_{mode}"], out[f"D_{mode}"] = g_ref, d_ref
    counts = {
        "G": count_params(G_ref),
        "D": count_params(D_ref),
        "G_ganbench": count_params(G),
        "D_ganbench": count_params(D),
    }
    print(
        f"{name}: params G {counts['G']} (ganbench {counts['G_ganbench']}), D {counts['D']} "
        f"(ganbench {counts['D_ganbench']}); max |diff| {diffs}"
    )
    return start, z, x, out, counts, diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dcgan", required=True, help=f"models/dcgan.py of the reference at {COMMIT}")
    args = ap.parse_args()
    ref = _reference(args.dcgan)
    summary = {
        "commit": COMMIT,
        "dcgan_sha256": hashlib.sha256(Path(args.dcgan).read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "full": {},
        "small": {},
    }
    for name, spec in FULL.items():
        *_rest, counts, diffs = _compare(name, spec, ref, 0)
        summary["full"][name] = {
            "spec": dict(zip(("isize", "nz", "ngf_ndf"), spec)),
            "params": counts,
            "max_abs_diff": diffs,
        }
    tensors = {}
    for i, (name, spec) in enumerate(SMALL.items()):
        start, z, x, out, counts, diffs = _compare(name, spec, ref, 10 + i, n=3)
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in start.items()})
        tensors[f"{name}.z"], tensors[f"{name}.x"] = z.contiguous(), x.contiguous()
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in out.items()})
        summary["small"][name] = {
            "spec": dict(zip(("isize", "nz", "ngf_ndf"), spec)),
            "params": counts,
            "max_abs_diff": diffs,
        }
    dest = ROOT / "tests" / "data" / "wgan_small.safetensors"
    save_file(tensors, str(dest), metadata={"commit": COMMIT, "summary": json.dumps(summary["small"])})
    res = ROOT / "benchmarks" / "results" / "wgan_reference.json"
    res.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {dest.relative_to(ROOT)} and {res.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
