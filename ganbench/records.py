"""metrics -> records: a result with every number's uncertainty and full provenance."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from . import cache
from .version import __version__
from .metrics.base import MetricValue

RECORD_FORMAT = 1
NOT_OFFICIAL = ("NOT the official FID Inception weights (sha256 {sha}...): these numbers are not "
                "comparable with published results")


@dataclass
class Result:
    metrics: Dict[str, MetricValue]
    provenance: dict
    warnings: List[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> float:
        return self.metrics[name].value

    def to_dict(self) -> dict:
        return {
            "ganbench_record": RECORD_FORMAT,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "warnings": list(self.warnings),
            "provenance": self.provenance,
        }

    def to_json(self, path=None, indent: int = 2) -> str:
        text = json.dumps(self.to_dict(), indent=indent, default=str)
        if path is not None:
            with cache.atomic_path(Path(path)) as tmp:
                tmp.write_text(text + "\n")
        return text

    def table(self, warnings: bool = True) -> str:
        """The metrics as text; `warnings=False` leaves the warnings out (the CLI prints them on stderr)."""
        rows = [("metric", "value", "spread", "CI")]
        for name, v in self.metrics.items():
            spread = f"± {v.std:.6g} ({v.std_of})" if v.std is not None else ""
            ci = ""
            if v.ci is not None:
                ci = f"[{v.ci[0]:.6g}, {v.ci[1]:.6g}] {round(self.provenance['options']['confidence'] * 100, 1):g}%"
            rows.append((name, f"{v.value:.6g}", spread, ci))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        p = self.provenance
        lines.append("")
        lines.append(f"samples: {_count(p['samples'])} ({p['samples'].get('path') or p['samples'].get('name') or p['samples'].get('kind')})"
                     f"  reference: {p['reference']['name']} ({_count(p['reference'])})")
        lines.append(f"weights: {'official' if p['weights']['official'] else 'NOT OFFICIAL'} "
                     f"sha256 {p['weights']['sha256'][:16]}...  resize: {p['resize']}  device: {p['device']}")
        if warnings:
            lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _count(side: dict) -> str:
    return "statistics only, count unknown" if side.get("count") is None else str(side["count"])


def git_commit(package_dir=None) -> str | None:
    """The commit of the ganbench source tree, when it is a git checkout.

    None when it is not, including when ganbench is installed inside some other repository
    (e.g. a virtual environment in a project's checkout): that repository's commit says
    nothing about ganbench's code, so ganbench's own files must be tracked by it.
    """
    here = Path(package_dir or Path(__file__).resolve().parent)
    try:
        tracked = subprocess.run(["git", "-C", str(here), "ls-files", "--error-unmatch", "--", "__init__.py"],
                                 capture_output=True, text=True, timeout=5)
        if tracked.returncode != 0:
            return None
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def package_versions() -> dict:
    """The libraries that decide a number: numpy/torch (arithmetic), Pillow (JPEG decoding and
    --resize clean), scipy and scikit-learn (linear algebra, clustering in diagnose)."""
    from importlib import metadata

    import numpy
    import torch

    out = {"numpy": numpy.__version__, "torch": torch.__version__}  # torch's says its build (+cu130, +cpu)
    for key, dist in (("pillow", "pillow"), ("scipy", "scipy"), ("scikit_learn", "scikit-learn")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = None
    return out


def environment(device) -> dict:
    import torch

    on_cuda = device is not None and str(device).startswith("cuda")
    env = {
        "ganbench": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **package_versions(),
        "cuda": torch.version.cuda if on_cuda else None,  # the device used, not what torch was built for
        "device": str(device),
        "threads": torch.get_num_threads(),
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0].endswith("ganbench") else None,
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if on_cuda:
        env["device_name"] = torch.cuda.get_device_name(device)
    return env
