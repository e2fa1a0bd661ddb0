"""Golden outputs of the reference DiffAugment and ADA implementations, for tests/test_augment.py.

Exports DiffAugment_pytorch.py (mit-han-lab/data-efficient-gans) and training/augment.py with its
torch_utils/dnnlib (NVlabs/stylegan2-ada-pytorch) from git mirrors into a temporary folder, runs them on
CPU (where their custom ops fall back to their reference paths: upfirdn2d's _upfirdn2d_ref, plain
grid_sample and conv2d) on a few images of the shared CIFAR-10 excerpt with a fixed global seed per case,
and writes tests/data/augment_reference.npz: the input images (uint8), per case the seed, the reference
output, and for one case the gradient of a fixed weighted sum. ganbench's test seeds a torch.Generator
with each case's seed and must give the same numbers.

    python benchmarks/reference/augment_fixture.py \
        [--diffaugment-git DIR] [--ada-git DIR] [--data /work/shared/data/cifar10-excerpt.npz]

DIR: a git directory of each repository (e.g. from a clone's .git); defaults: the /work/.mirror copies.
Commits used for the committed fixture: data-efficient-gans 0b6339510be1e3859d360cbf464d0a425514a6b4,
stylegan2-ada-pytorch d72cc7d041b42ec8e806021a205ed9349f87c6a4 (written into the npz as well)."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "augment_reference.npz"
DIFFAUG_GIT = "/work/.mirror/mit-han-lab+data-efficient-gans/repo"
ADA_GIT = "/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo"
BGC = dict(
    xflip=1,
    rotate90=1,
    xint=1,
    scale=1,
    rotate=1,
    aniso=1,
    xfrac=1,
    brightness=1,
    contrast=1,
    lumaflip=1,
    hue=1,
    saturation=1,
)  # train.py's augpipe_specs['bgc']


def export(git_dir: str, paths, dest: Path) -> str:
    commit = subprocess.run(
        ["git", "--git-dir", git_dir, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    tar = subprocess.run(
        ["git", "--git-dir", git_dir, "archive", commit, *paths], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(dest)
    return commit


def images(data: str):
    u8 = np.load(data)["train_images"][:8]  # (8, 32, 32, 3)
    x = torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1
    small = x[:4, :, 8:24, 4:28].contiguous()  # 4 x 3 x 16 x 24: non-square, other size
    return u8, x, small


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--diffaugment-git", default=DIFFAUG_GIT)
    ap.add_argument("--ada-git", default=ADA_GIT)
    ap.add_argument("--data", default="/work/shared/data/cifar10-excerpt.npz")
    args = ap.parse_args()
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="augment-ref-"))
    da_commit = export(args.diffaugment_git, ["DiffAugment_pytorch.py"], tmp)
    ada_commit = export(args.ada_git, ["training/augment.py", "training/__init__.py", "torch_utils", "dnnlib"], tmp)
    sys.path.insert(0, str(tmp))
    from DiffAugment_pytorch import DiffAugment  # noqa: E402
    from training.augment import AugmentPipe  # noqa: E402

    u8, x, small = images(args.data)
    gray = small.mean(dim=1, keepdim=True)
    out = {
        "images_u8": u8,
        "diffaugment_commit": np.array(da_commit),
        "ada_commit": np.array(ada_commit),
        "torch_version": np.array(torch.__version__),
    }
    seed = 1000

    def case(name, fn, inp):
        nonlocal seed
        seed += 1
        torch.manual_seed(seed)
        with torch.no_grad():
            out[name] = fn(inp).numpy()
        out[name + "_seed"] = np.array(seed)

    # DiffAugment: each policy part alone (small batch), the BigGAN-CIFAR and the StyleGAN2-CIFAR policies
    for part in ("color", "translation", "cutout"):
        case(f"da_{part}", lambda t, q=part: DiffAugment(t, policy=q), small)
    case("da_translation,cutout", lambda t: DiffAugment(t, policy="translation,cutout"), x)
    case("da_color,translation,cutout", lambda t: DiffAugment(t, policy="color,translation,cutout"), x)

    def ada(p, **spec):
        pipe = AugmentPipe(**spec)
        pipe.p.copy_(torch.as_tensor(p))
        return pipe

    case("ada_bgc_p1", ada(1.0, **BGC), x)
    case("ada_bgc_p0.5", ada(0.5, **BGC), x)
    case("ada_bgc_p0", ada(0.0, **BGC), small)
    case("ada_bgc_gray_p1", ada(1.0, **BGC), gray)
    for name in BGC:  # each transform of 'bgc' on its own, at p = 1
        case(f"ada_{name}_p1", ada(1.0, **{name: 1}), small)

    # gradient of sum(w * pipe(x)) w.r.t. x for 'bgc' at p = 1, w fixed
    seed += 1
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    xg = x.clone().requires_grad_(True)
    torch.manual_seed(seed)
    (ada(1.0, **BGC)(xg) * w).sum().backward()
    out["ada_bgc_p1_grad"], out["ada_bgc_p1_grad_seed"] = xg.grad.numpy(), np.array(seed)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp_out, **out)
    tmp_out.replace(OUT)
    print(
        f"wrote {OUT} ({OUT.stat().st_size} bytes): data-efficient-gans {da_commit}, stylegan2-ada-pytorch {ada_commit}"
    )


if __name__ == "__main__":
    main()
