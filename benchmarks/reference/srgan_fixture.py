"""ganbench's SRResNet and SRGAN discriminator against sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution's
own classes (a faithful PyTorch SRGAN: 16 residual blocks, BN, PReLU, sub-pixel stages, the paper's
8-convolution D with dense 1024): writes benchmarks/results/srgan_reference.json, which
tests/test_superres.py reads.

The reference's models.py at COMMIT is imported from --models FILE (`git --git-dir=<mirror> show
COMMIT:models.py > FILE`, or https://raw.githubusercontent.com/sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution/COMMIT/models.py);
its sha256 goes into the JSON. For x2 and x4 the script builds SRResNet(9, 3, 64, 16, scale) and
Discriminator(3, 64, 8, 1024), counts parameters, runs a training-mode forward so the batch-norm
statistics move, copies every parameter and buffer into ganbench's networks by position (shapes
checked) and compares the forwards in eval and in training mode (max |difference| in the JSON).
Its TruncatedVGG19 (the content loss's network) is not built: it downloads ImageNet weights.

    PYTHONPATH=. python benchmarks/reference/srgan_fixture.py --models /tmp/srref/models.py
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganbench.baselines import count_params  # noqa: E402
from ganbench.baselines.srresnet import SRDiscriminator, SRResNet  # noqa: E402

COMMIT = "c30556bc79a9d43539f2d658722bcb7ff5011ddb"


def _copy(src: nn.Module, dst: nn.Module) -> None:
    a, b = src.state_dict(), dst.state_dict()
    if len(a) != len(b):
        raise SystemExit(f"{len(a)} reference tensors vs {len(b)} ganbench tensors")
    for (ka, va), (kb, vb) in zip(a.items(), b.items()):
        if va.shape != vb.shape or ka.rsplit(".", 1)[-1] != kb.rsplit(".", 1)[-1]:
            raise SystemExit(f"reference {ka} {tuple(va.shape)} does not line up with {kb} {tuple(vb.shape)}")
    dst.load_state_dict({kb: va.clone() for (_, va), kb in zip(a.items(), b)})


def _compare(ref: nn.Module, ours: nn.Module, x: torch.Tensor) -> dict:
    torch.manual_seed(1)
    ref.train()(x)  # move the running statistics before copying them
    _copy(ref, ours)
    out = {}
    for mode in ("eval", "train"):
        ref.train(mode == "train"), ours.train(mode == "train")
        with torch.no_grad():
            out[mode] = float((ref(x) - ours(x)).abs().max())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True, help="the reference's models.py at COMMIT")
    ap.add_argument("-o", default=str(ROOT / "benchmarks" / "results" / "srgan_reference.json"))
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("srgan_reference_models", args.models)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    torch.manual_seed(0)
    result = {
        "reference": f"sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution@{COMMIT} models.py",
        "models_sha256": hashlib.sha256(Path(args.models).read_bytes()).hexdigest(),
        "G": {},
        "D": {},
    }
    for scale in (2, 4):
        rG, G = ref.SRResNet(9, 3, 64, 16, scale), SRResNet(scale)
        x = torch.rand(2, 3, 12, 12) * 2 - 1
        result["G"][f"x{scale}"] = {
            "reference_params": count_params(rG),
            "ganbench_params": count_params(G),
            "max_abs_diff": _compare(rG, G, x),
        }
    rD, D = ref.Discriminator(3, 64, 8, 1024), SRDiscriminator()
    result["D"] = {
        "reference_params": count_params(rD),
        "ganbench_params": count_params(D),
        "max_abs_diff_96": _compare(rD, D, torch.rand(2, 3, 96, 96) * 2 - 1),
        "max_abs_diff_32": _compare(rD, D, torch.rand(2, 3, 32, 32) * 2 - 1),
    }
    Path(args.o).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
