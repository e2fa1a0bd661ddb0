"""ganbench's pix2pix networks against junyanz/pytorch-CycleGAN-and-pix2pix's own classes: writes
benchmarks/results/pix2pix_reference.json and tests/data/pix2pix_small.safetensors.

The reference's models/networks.py at COMMIT is imported from --networks FILE (get it with
`git --git-dir=<mirror> show COMMIT:models/networks.py > FILE`, or from
https://raw.githubusercontent.com/junyanz/pytorch-CycleGAN-and-pix2pix/COMMIT/models/networks.py); its
sha256 goes into the JSON. The script builds the reference's UnetGenerator and NLayerDiscriminator with
pix2pix's defaults (batch norm as get_norm_layer('batch'), use_dropout=True, init_weights 'normal' 0.02),
counts parameters, runs two training-mode forwards so the batch-norm running statistics move, copies every
parameter and buffer into ganbench's networks by position (the layer order is the same; shapes checked),
and compares the forwards in eval mode and in training mode (batch statistics, and dropout with the same
torch seed: the masks are drawn in the same order).

Full size (ngf = ndf = 64; the 32x32 config num_downs 5, n_layers 1, and the 256x256 original unet_256 /
basic 70x70 D for the record): counts and max |difference| go into the JSON. Small (ngf = ndf = 4 at
32x32, and ngf 2 with num_downs 6 at 64x64 so that a dropout level exists): weights in ganbench's names,
inputs and the reference's outputs go into the safetensors file tests/test_pix2pix.py reads.

    PYTHONPATH=. python benchmarks/reference/pix2pix_fixture.py --networks /tmp/p2p_ref/networks.py

The committed outputs were made from a verbatim excerpt of that file (its imports, get_norm_layer,
init_weights, UnetGenerator, UnetSkipConnectionBlock, NLayerDiscriminator, read from the stored copy at
COMMIT: the repository's git snapshot, 3 GB, was too large to bring onto the machine), so the recorded
sha256 is the excerpt's (the classes are as in the whole file, which was not run).
"""

from __future__ import annotations

import argparse
import functools
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

from ganbench.baselines import count_params  # noqa: E402
from ganbench.baselines.pix2pix import PatchD, UNet, init_weights  # noqa: E402

COMMIT = "032e88438b1b2690e538c2cf399ebceb76adbea9"
# name -> (in/out channels, image size, num_downs, ngf, n_layers, ndf[, out channels where they differ])
FULL = {
    "pix2pix-unet32": (3, 32, 5, 64, 1, 64),
    "unet_256+basic": (3, 256, 8, 64, 3, 64),
    # the colourisation model (colorization_dataset.py: input_nc 1, output_nc 2; D sees L and ab, 3 channels)
    "pix2pix-unet32-lab": (1, 32, 5, 64, 1, 64, 2),
}
SPEC = ("channels", "size", "num_downs", "ngf", "n_layers", "ndf", "out_channels")
SMALL = {"small32": (3, 32, 5, 4, 1, 4), "dropout64": (3, 64, 6, 2, 2, 2)}


def _reference(path: str):
    spec = importlib.util.spec_from_file_location("p2p_reference_networks", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pair(ref, ch, num_downs, ngf, n_layers, ndf, out):
    norm = functools.partial(nn.BatchNorm2d, affine=True)  # get_norm_layer('batch')
    G = ref.UnetGenerator(ch, out, num_downs, ngf, norm_layer=norm, use_dropout=True)
    D = ref.NLayerDiscriminator(ch + out, ndf, n_layers, norm_layer=norm)
    ref.init_weights(G, "normal", 0.02)
    ref.init_weights(D, "normal", 0.02)
    return G, D


def _copy(src: nn.Module, dst: nn.Module) -> None:
    a, b = src.state_dict(), dst.state_dict()
    if len(a) != len(b):
        raise SystemExit(f"{len(a)} reference tensors vs {len(b)} ganbench tensors")
    out = {}
    for (ka, va), (kb, vb) in zip(a.items(), b.items()):
        if va.shape != vb.shape or ka.rsplit(".", 1)[-1] != kb.rsplit(".", 1)[-1]:
            raise SystemExit(f"reference {ka} {tuple(va.shape)} does not line up with {kb} {tuple(vb.shape)}")
        out[kb] = va.clone()
    dst.load_state_dict(out)


def _compare(name, spec, ref, seed: int, n: int = 4):
    ch, size, num_downs, ngf, n_layers, ndf = spec[:6]
    out_ch = spec[6] if len(spec) > 6 else ch
    torch.manual_seed(seed)
    G_ref, D_ref = _pair(ref, ch, num_downs, ngf, n_layers, ndf, out_ch)
    G, D = UNet(ch, out_ch, num_downs, ngf), PatchD(ch + out_ch, ndf, n_layers)
    init_weights(G), init_weights(D)
    x = torch.rand(n, ch, size, size) * 2 - 1
    y = torch.rand(n, out_ch, size, size) * 2 - 1
    with torch.no_grad():  # move the batch-norm running statistics away from (0, 1)
        for _ in range(2):
            G_ref(x.clone()), D_ref(torch.cat([x, y], 1))
    _copy(G_ref, G), _copy(D_ref, D)
    # the weights and statistics the comparison starts from (the train-mode forward moves the statistics)
    start = {
        **{f"G.{k}": v.clone() for k, v in G.state_dict().items()},
        **{f"D.{k}": v.clone() for k, v in D.state_dict().items()},
    }
    out, diffs = {}, {}
    with torch.no_grad():
        for mode in ("eval", "train"):
            for m in (G_ref, D_ref, G, D):
                m.train(mode == "train")
            torch.manual_seed(seed + 1)
            g_ref = G_ref(x.clone())  # clone: the reference's in-place LeakyReLU rewrites its input's skip
            torch.manual_seed(seed + 1)
            g = G(x.clone())
            d_ref, d = D_ref(torch.cat([x, g_ref], 1)), D(torch.cat([x, g_ref], 1))
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
    return start, x, out, counts, diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--networks", required=True, help=f"models/networks.py of the reference at {COMMIT}")
    args = ap.parse_args()
    ref = _reference(args.networks)
    summary = {
        "commit": COMMIT,
        "networks_sha256": hashlib.sha256(Path(args.networks).read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "full": {},
        "small": {},
    }
    for name, spec in FULL.items():
        _s, _x, _o, counts, diffs = _compare(name, spec, ref, 0)
        summary["full"][name] = {
            "spec": dict(zip(SPEC, spec)),
            "params": counts,
            "max_abs_diff": diffs,
        }
    tensors = {}
    for i, (name, spec) in enumerate(SMALL.items()):
        start, x, out, counts, diffs = _compare(name, spec, ref, 10 + i, n=2)
        for k, v in start.items():
            tensors[f"{name}.{k}"] = v.contiguous()
        tensors[f"{name}.x"] = x.contiguous()
        for k, v in out.items():
            tensors[f"{name}.{k}"] = v.contiguous()
        summary["small"][name] = {
            "spec": dict(zip(SPEC, spec)),
            "params": counts,
            "max_abs_diff": diffs,
            "dropout_seed": 10 + i + 1,
        }
    dest = ROOT / "tests" / "data" / "pix2pix_small.safetensors"
    save_file(tensors, str(dest), metadata={"commit": COMMIT, "summary": json.dumps(summary["small"])})
    res = ROOT / "benchmarks" / "results" / "pix2pix_reference.json"
    res.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {dest} ({dest.stat().st_size} bytes) and {res}")


if __name__ == "__main__":
    main()
