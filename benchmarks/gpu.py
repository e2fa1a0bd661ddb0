"""One prepared GPU run: every figure that only a GPU can show, each beside its reference in the same run.

    python benchmarks/gpu.py --out DIR                      # on a CUDA machine, < 8 minutes
    python benchmarks/gpu.py --out DIR --device cpu --quick # the dry run the tests execute

Needs no internet: random weights of the exact Inception architecture (or `--weights FILE`, e.g. the
official pool3 weights; `--weights-fp16 FILE` takes a float16 copy and widens it), the shared CIFAR-10
excerpt (`--data`, synthetic images without it), synthetic 2048-d features. Sections, each printed as it
runs and written to DIR/gpu.md and DIR/gpu.json after it ends (a later failure keeps what was measured):

  extract    Inception images/s at 32 and 256 px, batch 64..512: ganbench vs torch-fidelity (tf-legacy
             resize) and ganbench --resize clean vs clean-fid; fp32 (TF32 off) and bf16 autocast; each
             set's max relative difference to fp32 CPU features of the same images
  bf16-fid   FID of the excerpt's train vs test images with fp32 and with bf16 features: what bf16 changes
  fid        FID from 2 x 50,000 x 2048 features: ganbench on the GPU (float64) vs pytorch-fid (CPU)
  train      step time of dcgan / wgan-gp (pytorch-gan-collections, `--pgc DIR`) and sngan-resnet
             (torch-mimicry) against the same baselines in ganbench; every image baseline at fp32, bf16
             and --compile
  torchrun   `torchrun --nproc_per_node=1` eval and training against the single-process run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SECTIONS = ("extract", "bf16-fid", "fid", "train", "torchrun")


class Results:
    """Rows per section, rewritten as Markdown and JSON after every section (atomic renames)."""

    def __init__(self, out: Path, env: dict):
        self.out, self.env, self.rows, self.notes = out, env, [], {}

    def add(self, section: str, **row) -> dict:
        row = {"section": section, **row}
        self.rows.append(row)
        print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items() if k != "section"), flush=True)
        return row

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)
        print(f"  note: {text}", flush=True)

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for name, text in (
            (
                "gpu.json",
                json.dumps({"env": self.env, "rows": self.rows, "notes": self.notes}, indent=1, default=str) + "\n",
            ),
            ("gpu.md", self.markdown()),
        ):
            tmp = self.out / f".{name}.tmp"
            tmp.write_text(text)
            os.replace(tmp, self.out / name)

    def markdown(self) -> str:
        e = self.env
        lines = [
            f"# ganbench on {e['device_name']}",
            "",
            f"{e['device_name']} (driver {e.get('driver', '?')}, CUDA {e.get('cuda', '-')}, "
            f"cuDNN {e.get('cudnn', '-')}), "
            f"{e['cpu_count']} CPU cores; torch {e['torch']}, " + ", ".join(f"{k} {v}" for k, v in e["libs"].items()),
            f"; `{e['command']}` on {e['date']}.",
            "",
        ]
        for section in SECTIONS:
            rows = [r for r in self.rows if r["section"] == section]
            if not rows and section not in self.notes:
                continue
            lines += [f"## {section}", ""]
            if rows:
                cols = [c for c in dict.fromkeys(k for r in rows for k in r) if c != "section"]
                lines += ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
                lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
                lines.append("")
            lines += [f"- {t}" for t in self.notes.get(section, [])] + [""]
        return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if (abs(v) < 1e-2 or abs(v) >= 1e5) and v != 0 else f"{v:.4g}"
    return str(v)


def environment(device: str) -> dict:
    import torch

    libs = {}
    for mod, dist in (
        ("ganbench", "ganbench"),
        ("torch_fidelity", "torch-fidelity"),
        ("cleanfid", "clean-fid"),
        ("pytorch_fid", "pytorch-fid"),
        ("torch_mimicry", "torch-mimicry"),
        ("numpy", "numpy"),
        ("scipy", "scipy"),
        ("torchvision", "torchvision"),
    ):
        try:
            from importlib.metadata import version

            libs[dist] = version(dist)
        except Exception:  # noqa: BLE001 - e.g. torch-mimicry from a path: its module's presence is enough
            libs[dist] = "present" if _importable(mod) else "absent"
    env = {
        "device": device,
        "torch": torch.__version__,
        "libs": libs,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python", "benchmarks/gpu.py"] + sys.argv[1:]),
    }
    if device.startswith("cuda"):
        p = torch.cuda.get_device_properties(0)
        env.update(
            device_name=p.name,
            memory_gib=round(p.total_memory / 2**30, 1),
            sms=p.multi_processor_count,
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
        )
        try:
            env["driver"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            env["driver"] = "unknown (no nvidia-smi)"
    else:
        env.update(device_name=f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)")
    return env


def _importable(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def weights_file(args, tmp: Path) -> Path:
    """The Inception weights every library gets: `--weights`, a widened `--weights-fp16`, or random."""
    if args.weights:
        return Path(args.weights)
    if args.weights_fp16:
        import torch
        from safetensors.torch import load_file

        sd = {k: v.float() if v.is_floating_point() else v for k, v in load_file(args.weights_fp16).items()}
        if "fc.weight" not in sd:  # pool3-only weights: torch-fidelity's loader wants a classifier (unused here)
            sd["fc.weight"], sd["fc.bias"] = torch.zeros(1008, 2048), torch.zeros(1008)
        out = tmp / "inception-from-fp16.pth"  # a plain state dict: every library's loader reads it
        torch.save(sd, out)
        return out
    from ganbench.features.random_weights import write_random_inception

    return write_random_inception(tmp / "inception-random.pth")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for gpu.md and gpu.json")
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu for the dry run")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every section")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of sections ({', '.join(SECTIONS)})")
    ap.add_argument("--weights", default=None, help="Inception weights file for every library (default: random)")
    ap.add_argument("--weights-fp16", default=None, help="a float16 copy of official weights, widened to float32")
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "cifar10-excerpt.npz")
    ap.add_argument("--pgc", type=Path, default=None, help="pytorch-gan-collections' source/models folder")
    ap.add_argument("--budget", type=float, default=420.0, help="seconds for the whole run; sections shrink to fit")
    args = ap.parse_args(argv)
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(
            f"gpu.py: CUDA is not available here (torch {torch.__version__}): run it on a GPU machine, "
            "or `--device cpu --quick` for the dry run",
            file=sys.stderr,
        )
        return 2
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        print(f"gpu.py: unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    import tempfile

    import gpu_sections
    import gpu_train

    os.environ.setdefault("GANBENCH_QUIET", "1")
    res = Results(args.out, environment(args.device))
    print(f"gpu.py on {res.env['device_name']}, torch {res.env['torch']}", flush=True)
    t_start = time.perf_counter()
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("GANBENCH_HOME", str(tmp / "home"))
        ctx = gpu_sections.Context(args, res, weights_file(args, tmp), tmp, t_start)
        for name in SECTIONS:
            if name not in only:
                continue
            print(f"== {name} ({time.perf_counter() - t_start:.0f} s elapsed)", flush=True)
            t = time.perf_counter()
            try:
                section = name.replace("-", "_")
                (getattr(gpu_sections, section, None) or getattr(gpu_train, section))(ctx)
            except Exception as exc:  # noqa: BLE001 - one section's failure must not lose the others
                traceback.print_exc()
                res.note(name, f"FAILED: {type(exc).__name__}: {exc}".splitlines()[0])
                failed.append(name)
            res.note(name, f"section took {time.perf_counter() - t:.1f} s")
            res.write()
    print(
        f"results: {args.out / 'gpu.md'} and {args.out / 'gpu.json'} ({time.perf_counter() - t_start:.0f} s)",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
