"""CMMD end to end against the reference code on one random-init CLIP ViT-L/14@336px (no official weights
offline): ganbench's `clip-vit-l-14-336` extractor and `cmmd` metric vs sayakpaul/cmmd-pytorch's
preprocessing (io_util.CMMDDataset._center_crop_and_resize, then embedding._resize_bicubic) and
distance.mmd, with OpenAI's own CLIP model (the `clip` package, clip-anytorch) as the embedding network,
both loading the same OpenAI-layout state dict (fp16, as OpenAI's release). Images: CIFAR-10 excerpt
(square 32x32: the crop is a no-op there) plus non-square crops of them, so the crop is exercised.
Writes benchmarks/results/cmmd_check.json (max |diff| of embeddings, both CMMD values).

    python benchmarks/reference/cmmd_check.py [--git DIR] [--n 6] [--device cpu]

DIR: cmmd-pytorch's git directory (default the /work/.mirror copy; the committed result used
f7673a9f46320ac958878c19f7686e203376ad9d). Minutes on CPU (ViT-L/14 at 336 px), seconds on a GPU."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "cmmd_check.json"
GIT = "/work/.mirror/sayakpaul+cmmd-pytorch/repo"
DATA = Path("/work/shared/data/cifar10-excerpt.npz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--git", default=GIT)
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args()
    import clip.model
    from PIL import Image

    from ganbench.features.clip import L14_336, MEAN, STD, ClipExtractor
    from ganbench.metrics.cmmd import cmmd

    commit = subprocess.run(
        ["git", "--git-dir", args.git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("io_util", "distance"):
            Path(tmp, f"{name}.py").write_text(
                subprocess.run(
                    ["git", "--git-dir", args.git, "show", f"HEAD:{name}.py"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
        text = subprocess.run(
            ["git", "--git-dir", args.git, "show", "HEAD:embedding.py"], check=True, capture_output=True, text=True
        ).stdout
        # only its _resize_bicubic (the module imports transformers, absent here, at the top)
        start = text.index("def _resize_bicubic")
        Path(tmp, "embedding_resize.py").write_text(
            "import torch\n" + text[start : text.index("class ClipEmbeddingModel")]
        )
        sys.path.insert(0, tmp)
        import distance
        import embedding_resize
        import io_util

        torch.manual_seed(0)
        model = clip.model.CLIP(
            embed_dim=768,
            image_resolution=336,
            vision_layers=24,
            vision_width=1024,
            vision_patch_size=14,
            context_length=77,
            vocab_size=49408,
            transformer_width=768,
            transformer_heads=12,
            transformer_layers=12,
        )
        weights = Path(tmp, "random-clip-vit-l-14-336.pt")
        torch.save({k: v.half() for k, v in model.state_dict().items()}, weights)
        reference = clip.model.build_model(torch.load(weights, weights_only=True)).float().eval().to(args.device)
        ours = ClipExtractor(weights=weights, device=args.device, variant=L14_336)

        with np.load(args.data) as z:
            a, b = z["train_images"][: args.n], z["test_images"][: args.n]
        wide = [np.asarray(Image.fromarray(im).resize((48, 32), Image.BICUBIC)) for im in b]  # non-square
        sets = {"gen": list(a), "ref": list(b[: args.n // 2]) + wide[args.n // 2 :]}
        dataset = io_util.CMMDDataset(tmp, reshape_to=336)
        emb_ours, emb_ref = {}, {}
        for key, images in sets.items():
            emb_ours[key] = ours(images)[0]
            x = np.stack([dataset._center_crop_and_resize(Image.fromarray(im), 336) for im in images])
            x = embedding_resize._resize_bicubic(np.asarray(x, np.float32) / 255.0, 336)
            x = torch.from_numpy(x).permute(0, 3, 1, 2)
            x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
            with torch.no_grad():
                e = reference.encode_image(x.to(args.device)).float().cpu()
            emb_ref[key] = (e / torch.linalg.norm(e, axis=-1, keepdims=True)).numpy()
    unit = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in emb_ours.items()}
    out = {
        "commit": commit,
        "n_per_set": args.n,
        "device": args.device,
        "max_abs_diff_normalised_embeddings": float(max(np.abs(unit[k] - emb_ref[k]).max() for k in unit)),
        "cmmd_ours": cmmd(emb_ours["gen"], emb_ours["ref"]),
        "cmmd_reference": float(distance.mmd(emb_ref["ref"], emb_ref["gen"])),
        "cmmd_ours_on_reference_embeddings": cmmd(emb_ref["gen"], emb_ref["ref"]),
        "seconds": round(time.time() - t0, 1),
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
