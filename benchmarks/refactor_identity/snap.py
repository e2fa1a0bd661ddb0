# usage (from the repository root, PYTHONPATH=. OMP_NUM_THREADS=1): python benchmarks/refactor_identity/snap.py OUT.json
"""Snapshot: per-step stats (repr) and sha256 of every state tensor after N steps, for several configs,
through ganbench.train (checkpoint bytes) -> compare before/after refactor."""

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import ganbench
from ganbench.train import checkpoint

out_file = sys.argv[1]
d = np.load("/work/shared/data/cifar10-excerpt.npz")
tmp = Path(tempfile.mkdtemp())
np.savez(tmp / "img.npz", d["train_images"][:64])
np.savez(tmp / "lab.npz", images=d["train_images"][:48], labels=d["train_labels"][:48])
S = {"batch_size": 8, "g_batch_size": 8}
cases = [
    ("dcgan", dict(data=tmp / "img.npz", steps=3, set=S)),
    (
        "lsgan",
        dict(
            data=tmp / "img.npz",
            steps=3,
            set={**S, "ema": 0.9, "label_smoothing": 0.1, "label_flip": 0.2, "instance_noise": 0.5, "dequantize": True},
        ),
    ),
    ("wgan-gp", dict(data=tmp / "img.npz", steps=2, set={**S, "n_dis": 2})),
    ("sngan-resnet", dict(data=tmp / "img.npz", steps=2, set={**S, "n_dis": 2, "ema": 0.99, "ema_start": 1})),
    ("cgan-pd", dict(data=tmp / "lab.npz", key="images", labels="labels", steps=2, set={**S, "ema": 0.9})),
    ("toy-mlp", dict(steps=4, set={"batch_size": 16, "g_batch_size": 32, "r1": 1.0, "mbstd": 4, "loss": "minimax"})),
    ("toy-mlp", dict(steps=3, set={"batch_size": 16, "g_batch_size": 16, "unrolled": 2, "n_dis": 2})),
    ("toy-mlp-wgan-gp", dict(steps=3, set={"batch_size": 16, "g_batch_size": 16})),
    ("toy-conv", dict(steps=2, set={"batch_size": 16, "g_batch_size": 16, "loss": "hinge", "weight_decay": 1e-3})),
]
res = {}
for i, (name, kw) in enumerate(cases):
    out = tmp / f"r{i}"
    ganbench.train(name, out=out, seed=5, progress=False, log_every=1, **kw)
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    lines = [
        {k: v for k, v in r.items() if k not in ("step_per_s", "images_per_s")} for r in lines if r["kind"] == "train"
    ]
    ck = checkpoint.path_for(out, checkpoint.list_steps(out)[-1])
    tensors, meta = checkpoint.load(ck)
    h = hashlib.sha256()
    for k in sorted(tensors):
        h.update(k.encode())
        h.update(str(tensors[k].dtype).encode())
        h.update(tensors[k].numpy().tobytes())
    from ganbench.train import options

    meta["config_hash"] = options.config_hash({**meta["config"], "data": "X"})
    meta = json.loads(json.dumps(meta).replace(str(tmp), "TMP"))
    res[f"{i}:{name}"] = {"log": lines, "tensors_sha256": h.hexdigest(), "tensor_keys": sorted(tensors), "meta": meta}
    print(i, name, res[f"{i}:{name}"]["tensors_sha256"][:16], lines[-1], flush=True)
Path(out_file).write_text(json.dumps(res, indent=1, sort_keys=True))
