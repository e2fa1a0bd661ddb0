"""ganbench's biggan32 against PyTorch-StudioGAN's own BigGAN code: writes tests/data/biggan_fixture.json
and tests/data/biggan_small.safetensors.

Exports src/models/big_resnet.py and src/utils/ops.py of StudioGAN at COMMIT (from the `fetch` tool's
mirror, or --git-dir) to /tmp, builds the reference G and D on CPU with the hyper-parameters of
src/configs/CIFAR10/BigGAN.yaml and the modules that src/config.py's define_modules picks for them,
counts their parameters, runs two training-mode forwards (BN statistics and spectral-norm u move), sets
the attention gates and the last BN's affine to non-trivial values, copies every parameter and buffer into
ganbench's networks through NAME_MAP, and compares G(z, y) and D(x, y) in eval mode (BN running
statistics, stored u) and then in training mode (batch statistics, one power iteration each).

Full size (the config's widths): the counts and the max |difference| go into the JSON; the weights are too
big to commit. Width-reduced (G width 16, D width 16, z 20, shared 8): the weights in ganbench's names,
the inputs and the reference's outputs go into the safetensors file that tests/test_biggan.py reads.

    PYTHONPATH=. python benchmarks/reference/biggan_fixture.py
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import torch
import torch.nn as nn
import yaml
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganbench.baselines import apply_spectral_norm, count_params  # noqa: E402
from ganbench.baselines.biggan import networks  # noqa: E402

COMMIT = "947b35e9835b67860fdce44d337f6d7fee7c8db3"
MIRROR = "/work/.mirror/POSTECH-CVLab+PyTorch-StudioGAN/repo"
CONFIG = "src/configs/CIFAR10/BigGAN.yaml"
FILES = ("src/models/big_resnet.py", "src/utils/ops.py")
SMALL = {"z_dim": 20, "g_shared_dim": 8, "g_conv_dim": 4, "d_conv_dim": 8}

# reference name -> ganbench name (first matching pattern); the block indices are the reference's
# ModuleList positions: G [block, block, attention, block], D [opt block, attention, block, block, block]
NAME_MAP = {
    "G": [
        (r"^linear0\.", "linear."),
        (r"^shared\.", "shared."),
        (r"^bn4\.", "bn."),
        (r"^conv2d5\.", "conv_out."),
        (r"^blocks\.0\.0\.", "blocks.0."),
        (r"^blocks\.1\.0\.", "blocks.1."),
        (r"^blocks\.2\.0\.", "attention."),
        (r"^blocks\.3\.0\.", "blocks.2."),
    ],
    "D": [
        (r"^linear1\.", "head."),
        (r"^embedding\.", "embed."),
        (r"^blocks\.0\.0\.", "body.block1."),
        (r"^blocks\.1\.0\.", "body.attention."),
        (r"^blocks\.2\.0\.", "body.block2."),
        (r"^blocks\.3\.0\.", "body.block3."),
        (r"^blocks\.4\.0\.", "body.block4."),
    ],
    "layer": [
        (r"\.bn1\.", ".b1."),
        (r"\.bn2\.", ".b2."),
        (r"\.conv2d0\.", ".c_sc."),
        (r"\.conv2d1\.", ".c1."),
        (r"\.conv2d2\.", ".c2."),
        (r"\.conv1x1_theta\.", ".theta."),
        (r"\.conv1x1_phi\.", ".phi."),
        (r"\.conv1x1_g\.", ".g."),
        (r"\.conv1x1_attn\.", ".o."),
    ],
}


def _export(git_dir: str) -> Path:
    out = Path(f"/tmp/studiogan-{COMMIT[:12]}")
    for f in FILES:
        target = out / f.replace("src/", "")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(
            subprocess.run(
                ["git", f"--git-dir={git_dir}", "show", f"{COMMIT}:{f}"], check=True, capture_output=True
            ).stdout
        )
        (target.parent / "__init__.py").touch()
    # big_resnet.py needs misc.dummy_context_mgr only; the real utils/misc.py imports plotting and data
    # libraries, so a module with that class alone (a no-op context manager, as misc.py defines it) stands in
    (out / "utils" / "misc.py").write_text("import contextlib\ndummy_context_mgr = contextlib.nullcontext\n")
    return out


def _config(git_dir: str) -> dict:
    text = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{COMMIT}:{CONFIG}"], check=True, capture_output=True
    ).stdout
    return yaml.safe_load(text)["MODEL"]


def _reference(model: dict, num_classes: int = 10):
    import models.big_resnet as big_resnet
    import utils.ops as ops

    assert model["apply_g_sn"] and model["apply_d_sn"] and model["g_cond_mtd"] == "cBN" and model["d_cond_mtd"] == "PD"
    # src/config.py define_modules for apply_g_sn / apply_d_sn True, cBN, ReLU (the defaults of g_act_fn / d_act_fn)
    modules = types.SimpleNamespace(
        g_conv2d=ops.snconv2d,
        g_deconv2d=ops.sndeconv2d,
        g_linear=ops.snlinear,
        g_embedding=ops.sn_embedding,
        d_conv2d=ops.snconv2d,
        d_deconv2d=ops.sndeconv2d,
        d_linear=ops.snlinear,
        d_embedding=ops.sn_embedding,
        g_bn=ops.ConditionalBatchNorm2d,
        g_act_fn=nn.ReLU(inplace=True),
        d_act_fn=nn.ReLU(inplace=True),
    )
    extra = types.SimpleNamespace(info_type="N/A", g_info_injection="N/A")
    # src/models/model.py load_generator_discriminator; g_init / d_init "ortho" are config.py's defaults
    G = big_resnet.Generator(
        z_dim=model["z_dim"],
        g_shared_dim=model["g_shared_dim"],
        img_size=32,
        g_conv_dim=model["g_conv_dim"],
        apply_attn=model["apply_attn"],
        attn_g_loc=model["attn_g_loc"],
        g_cond_mtd="cBN",
        num_classes=num_classes,
        g_init="ortho",
        g_depth="N/A",
        mixed_precision=False,
        MODULES=modules,
        MODEL=extra,
    )
    D = big_resnet.Discriminator(
        img_size=32,
        d_conv_dim=model["d_conv_dim"],
        apply_d_sn=True,
        apply_attn=model["apply_attn"],
        attn_d_loc=model["attn_d_loc"],
        d_cond_mtd="PD",
        aux_cls_type="W/O",
        d_embed_dim="N/A",
        normalize_d_embed=False,
        num_classes=num_classes,
        d_init="ortho",
        d_depth="N/A",
        mixed_precision=False,
        MODULES=modules,
        MODEL=extra,
    )
    return G, D


def _ours(model: dict, num_classes: int = 10):
    assert model["attn_g_loc"] == [2] and model["attn_d_loc"] == [1]
    G, D = networks(model["z_dim"], num_classes, model["g_conv_dim"], model["d_conv_dim"], model["g_shared_dim"])
    apply_spectral_norm(D, embeddings=True)  # what training's build does: nothing is left to normalise
    return G, D


def _rename(name: str, net: str) -> str:
    for pattern, repl in NAME_MAP[net]:
        if re.match(pattern, name):
            name = re.sub(pattern, repl, name)
            break
    else:
        raise KeyError(f"{net}: no rule for {name}")
    for pattern, repl in NAME_MAP["layer"]:
        name = re.sub(pattern, repl, name)
    return name


def _copy(theirs: nn.Module, ours: nn.Module, net: str) -> None:
    state = {_rename(k, net): v for k, v in theirs.state_dict().items()}
    mine = ours.state_dict()
    assert set(state) == set(mine), (net, sorted(set(state) ^ set(mine)))
    assert all(state[k].shape == mine[k].shape for k in mine), net
    ours.load_state_dict(state, strict=True)


def compare(model: dict, seed: int) -> dict:
    torch.manual_seed(seed)
    rG, rD = _reference(model)
    G, D = _ours(model)
    counts = {
        "reference": {"G": count_params(rG), "D": count_params(rD)},
        "ganbench": {"G": count_params(G), "D": count_params(D)},
    }
    g = torch.Generator().manual_seed(seed + 1)
    n = 6
    with torch.no_grad():
        rG.train(), rD.train()
        for _ in range(2):  # move BN statistics and the spectral-norm vectors away from their initial values
            z, y = torch.randn(n, model["z_dim"], generator=g), torch.randint(10, (n,), generator=g)
            rD(rG(z, y), y)
        for m in list(rG.modules()) + list(rD.modules()):  # gates at 0 would hide the attention path
            if hasattr(m, "sigma"):
                m.sigma.fill_(float(torch.rand(1, generator=g)) + 0.5)
        rG.bn4.weight.add_(0.1 * torch.randn(rG.bn4.weight.shape, generator=g))
        rG.bn4.bias.add_(0.1 * torch.randn(rG.bn4.bias.shape, generator=g))
    _copy(rG, G, "G")
    _copy(rD, D, "D")
    weights = {f"G.{k}": v.clone() for k, v in G.state_dict().items()} | {
        f"D.{k}": v.clone() for k, v in D.state_dict().items()
    }
    z, y = torch.randn(n, model["z_dim"], generator=g), torch.tensor([0, 3, 9, 3, 1, 7])
    x = torch.rand(n, 3, 32, 32, generator=g) * 2 - 1
    out, diff = {"z": z, "y": y, "x": x}, {}
    for mode in ("eval", "train"):  # eval first: the training-mode forward moves the statistics
        for m in (rG, rD, G, D):
            m.train(mode == "train")
        with torch.no_grad():
            out[f"G_{mode}"] = rG(z, y, eval=mode == "eval")
            out[f"D_{mode}"] = rD(x.clone(), y, eval=mode == "eval")["adv_output"]
            diff[f"G_{mode}"] = float((G(z, y) - out[f"G_{mode}"]).abs().max())
            diff[f"D_{mode}"] = float((D(x, y).view(-1) - out[f"D_{mode}"]).abs().max())
    return {"counts": counts, "max_abs_diff": diff, "weights": weights, "tensors": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git-dir", default=MIRROR)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, str(_export(args.git_dir)))
    model = _config(args.git_dir)
    full = compare(model, args.seed)
    small_model = {**model, **SMALL}
    small = compare(small_model, args.seed)
    data = ROOT / "tests" / "data"
    data.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.contiguous() for k, v in (small["weights"] | small["tensors"]).items()}
    save_file(
        tensors,
        str(data / "biggan_small.safetensors"),
        metadata={
            "commit": COMMIT,
            "config": json.dumps({k: small_model[k] for k in ("z_dim", "g_shared_dim", "g_conv_dim", "d_conv_dim")}),
        },
    )
    record = {
        "script": "benchmarks/reference/biggan_fixture.py",
        "repository": "POSTECH-CVLab/PyTorch-StudioGAN",
        "commit": COMMIT,
        "config": CONFIG,
        "files": list(FILES),
        "seed": args.seed,
        "torch": torch.__version__,
        "full": {
            "model": {
                k: model[k] for k in ("z_dim", "g_shared_dim", "g_conv_dim", "d_conv_dim", "attn_g_loc", "attn_d_loc")
            },
            "params": full["counts"],
            "max_abs_diff": full["max_abs_diff"],
        },
        "small": {
            "model": {k: small_model[k] for k in SMALL},
            "params": small["counts"],
            "max_abs_diff": small["max_abs_diff"],
            "fixture": "tests/data/biggan_small.safetensors",
        },
    }
    (data / "biggan_fixture.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("full", "small")}, indent=2))


if __name__ == "__main__":
    main()
