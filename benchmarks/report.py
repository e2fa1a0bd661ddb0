"""Collects benchmark rows, checks them against the issue's targets, writes JSON and markdown."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from pathlib import Path

TARGETS = {
    "extract_cpu": "CPU feature extraction >= 2x torch-fidelity img/s, features equal to 1e-4 relative",
    "extract_cuda": "GPU feature extraction >= 2x torch-fidelity img/s, fp32 (TF32 off); fast mode's deviation printed",
    "fid": "FID from features >= 5x pytorch-fid (np.cov + scipy sqrtm) at N=50k, equal to 1e-6 relative, "
    "never NaN/complex on rank-deficient covariances",
    "memory": "FID-only evaluation keeps O(d^2) memory (running float64 sums), not O(N d)",
}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str) -> dict:
    import numpy
    import scipy
    import torch

    info = {
        "device": device,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    from importlib import metadata

    for key, dist in (("torch_fidelity", "torch-fidelity"), ("cleanfid", "clean-fid"), ("pytorch_fid", "pytorch-fid")):
        try:
            info[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[key] = None
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
        slug = info["gpu"]
    else:
        slug = f"cpu-{info['cpu']}-{info['cpu_count']}c"
    info["device_slug"] = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    try:
        load = os.getloadavg()
        info["load_average_at_start"] = [round(x, 2) for x in load]
    except OSError:
        pass
    return info


class Report:
    def __init__(self, quick: bool = False):
        self.quick = quick
        self.machine: dict = {}
        self.rows: list = []
        self.checks: dict = {}

    def add(self, bench: str, case: str, impl: str, **values) -> dict:
        row = {"bench": bench, "case": case, "impl": impl, **values}
        self.rows.append(row)
        return row

    def check(self, name: str, met: bool, detail: str) -> None:
        """A target: met or not, with the measured figures (a missed target is reported, not raised)."""
        self.checks[name] = {"target": TARGETS.get(name, name), "met": bool(met), "measured": detail}

    def to_dict(self) -> dict:
        return {
            "ganbench_benchmarks": 1,
            "quick": self.quick,
            "machine": self.machine,
            "targets": self.checks,
            "results": self.rows,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, default=_jsonable) + "\n")
        path.with_suffix(".md").write_text(self.markdown() + "\n")

    def markdown(self) -> str:
        return markdown(self.to_dict())


def _jsonable(o):
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


def _fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}{unit}"
        if abs(v) >= 1:
            return f"{v:.2f}{unit}"
        return f"{v:.3g}{unit}"
    return f"{v}{unit}"


def markdown(data: dict) -> str:
    m = data["machine"]
    lines = [f"# ganbench benchmarks: {m.get('gpu') or m.get('cpu')} ({m.get('device')})", ""]
    lines.append(
        f"torch {m.get('torch')}, {m.get('torch_threads')} threads, {m.get('cpu_count')} CPUs; "
        f"torch-fidelity {m.get('torch_fidelity')}, clean-fid {m.get('cleanfid')}, "
        f"pytorch-fid {m.get('pytorch_fid')}; measured fp32 matmul peak "
        f"{_fmt(m.get('fp32_matmul_peak_gflops'))} GFLOP/s ({m.get('fp32_matmul_peak_how')}); "
        f"load average at start {m.get('load_average_at_start')}. "
        + ("QUICK run (small sizes): not the reported figures." if data.get("quick") else "")
    )
    lines.append("")
    rows = data["results"]
    sections = [
        (
            "extract",
            "1. Feature extraction (uint8 -> 299x299 -> pool3 + logits)",
            ["case", "impl", "n", "img_per_s", "ratio_vs", "max_rel_diff", "gflops", "peak_fraction", "note"],
        ),
        (
            "fid",
            "2. FID from 2048-d features (statistics + matrix square root)",
            ["case", "impl", "seconds", "ratio_vs", "fid", "rel_diff", "note"],
        ),
        (
            "eval",
            "3. End-to-end evaluation against a cached reference",
            ["case", "impl", "seconds", "img_per_s", "ratio_vs", "fid", "rel_diff", "note"],
        ),
        (
            "memory",
            "4. Peak memory, N = 50,000",
            ["case", "impl", "peak_rss_mb", "delta_rss_mb", "gpu_peak_mb", "note"],
        ),
    ]
    for key, title, cols in sections:
        sel = [r for r in rows if r["bench"] == key]
        if not sel:
            continue
        lines += [f"## {title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in sel:
            lines.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
        lines.append("")
    if data.get("targets"):
        lines += ["## Targets", "", "| target | met | measured |", "|---|---|---|"]
        for c in data["targets"].values():
            met = "not judged (quick run)" if data.get("quick") else ("yes" if c["met"] else "NO (gap)")
            lines.append(f"| {c['target']} | {met} | {c['measured']} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # re-render a results file: python benchmarks/report.py results/x.json
    import sys

    for p in sys.argv[1:]:
        d = json.loads(Path(p).read_text())
        Path(p).with_suffix(".md").write_text(markdown(d) + "\n")
        print(markdown(d))
