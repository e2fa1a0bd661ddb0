"""ganbench's CycleGAN networks against junyanz/pytorch-CycleGAN-and-pix2pix's own classes: writes
benchmarks/results/cyclegan_reference.json and tests/data/cyclegan_small.safetensors.

The reference's models/networks.py at COMMIT is imported from --networks FILE (get it with
`git --git-dir=<mirror> show COMMIT:models/networks.py > FILE`, or from
https://raw.githubusercontent.com/junyanz/pytorch-CycleGAN-and-pix2pix/COMMIT/models/networks.py); its
sha256 goes into the JSON. The script builds the reference's ResnetGenerator and NLayerDiscriminator with
CycleGAN's defaults (get_norm_layer('instance'), use_dropout=False as cycle_gan_model.py sets no_dropout,
reflection padding, init_weights 'normal' 0.02), counts parameters, copies every parameter into ganbench's
networks by position (the layer order is the same; names and shapes checked) and compares the forwards
(instance norm has no running statistics: training and eval mode are the same function).

Full size (ngf = ndf = 64; the 32x32 config resnet 6 blocks + n_layers 1, and the originals resnet_9blocks
and resnet_6blocks with the basic 70x70 D for the record): counts and max |difference| go into the JSON.
Small (ngf = ndf = 4, 2 blocks, n_layers 1, 32x32: the `cyclegan-small` test architecture): weights in
ganbench's names, an input and the reference's outputs go into the safetensors file tests/test_cyclegan.py
reads.

    PYTHONPATH=. python benchmarks/reference/cyclegan_fixture.py --networks /tmp/cyc_ref/networks.py

The committed outputs were made from a verbatim excerpt of that file (its imports, get_norm_layer,
init_weights, UnetGenerator, UnetSkipConnectionBlock, NLayerDiscriminator, ResnetGenerator, ResnetBlock,
read from the stored copy at COMMIT: the repository's git snapshot, 3 GB, was too large to bring onto the
machine), so the recorded sha256 is the excerpt's (the classes are as in the whole file, which was not run).
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

from ganbench.baselines import count_params  # noqa: E402
from ganbench.baselines.cyclegan import ResnetG  # noqa: E402
from ganbench.baselines.pix2pix import PatchD, init_weights  # noqa: E402

COMMIT = "032e88438b1b2690e538c2cf399ebceb76adbea9"
# name -> (channels, image size, ngf, n_blocks, n_layers, ndf)
FULL = {
    "cyclegan-resnet32": (3, 32, 64, 6, 1, 64),
    "resnet_6blocks+basic": (3, 128, 64, 6, 3, 64),
    "resnet_9blocks+basic": (3, 256, 64, 9, 3, 64),
}
SMALL = {"small32": (3, 32, 4, 2, 1, 4)}


def _reference(path: str):
    spec = importlib.util.spec_from_file_location("cyc_reference_networks", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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


def _compare(name, spec, ref, seed: int, n: int = 2):
    ch, size, ngf, n_blocks, n_layers, ndf = spec
    norm = ref.get_norm_layer("instance")
    torch.manual_seed(seed)
    G_ref = ref.ResnetGenerator(ch, ch, ngf, norm_layer=norm, use_dropout=False, n_blocks=n_blocks)
    D_ref = ref.NLayerDiscriminator(ch, ndf, n_layers, norm_layer=norm)
    ref.init_weights(G_ref, "normal", 0.02)
    ref.init_weights(D_ref, "normal", 0.02)
    G, D = ResnetG(ch, ch, ngf, n_blocks), PatchD(ch, ndf, n_layers, norm="instance")
    init_weights(G), init_weights(D)
    _copy(G_ref, G), _copy(D_ref, D)
    x = torch.rand(n, ch, size, size) * 2 - 1
    with torch.no_grad():
        g_ref, g = G_ref(x), G(x)
        d_ref, d = D_ref(g_ref), D(g_ref)
    diffs = {"G": float((g - g_ref).abs().max()), "D": float((d - d_ref).abs().max())}
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
    start = {
        **{f"G.{k}": v.clone() for k, v in G.state_dict().items()},
        **{f"D.{k}": v.clone() for k, v in D.state_dict().items()},
    }
    return start, x, {"G": g_ref, "D": d_ref}, counts, diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--networks", required=True, help=f"models/networks.py of the reference at {COMMIT}")
    args = ap.parse_args()
    ref = _reference(args.networks)
    keys = ("channels", "size", "ngf", "n_blocks", "n_layers", "ndf")
    summary = {
        "commit": COMMIT,
        "networks_sha256": hashlib.sha256(Path(args.networks).read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "full": {},
        "small": {},
    }
    for i, (name, spec) in enumerate(FULL.items()):
        _s, _x, _o, counts, diffs = _compare(name, spec, ref, i, n=1)
        summary["full"][name] = {"spec": dict(zip(keys, spec)), "params": counts, "max_abs_diff": diffs}
    tensors = {}
    for i, (name, spec) in enumerate(SMALL.items()):
        start, x, out, counts, diffs = _compare(name, spec, ref, 10 + i)
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in start.items()})
        tensors[f"{name}.x"] = x.contiguous()
        tensors.update({f"{name}.{k}_out": v.contiguous() for k, v in out.items()})
        summary["small"][name] = {"spec": dict(zip(keys, spec)), "params": counts, "max_abs_diff": diffs}
    dest = ROOT / "tests" / "data" / "cyclegan_small.safetensors"
    save_file(tensors, str(dest), metadata={"commit": COMMIT, "summary": json.dumps(summary["small"])})
    res = ROOT / "benchmarks" / "results" / "cyclegan_reference.json"
    res.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {dest} ({dest.stat().st_size} bytes) and {res}")


if __name__ == "__main__":
    main()
