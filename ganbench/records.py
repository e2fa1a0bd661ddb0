"""metrics -> records: a result with every number's uncertainty and full provenance."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from . import cache
from .metrics.base import MetricValue
from .version import __version__

RECORD_FORMAT = 2  # 2: record_kind, protocol and run blocks; 1 (loadable): metrics, warnings, provenance
NOT_OFFICIAL = (
    "NOT the official FID Inception weights (sha256 {sha}...): these numbers are not comparable with published results"
)
_WHOSE = {"clip-vit-b-32": "CLIP ViT-B/32", "dinov2-vit-l-14": "DINOv2 ViT-L/14"}


def not_official(extractor: Any) -> str:  # any extractor: .weights.sha256 and .name
    """The warning every output carries when an extractor's weights are not its official ones."""
    sha = extractor.weights.sha256[:16]
    whose = _WHOSE.get(getattr(extractor, "name", ""))
    if whose is None:
        return NOT_OFFICIAL.format(sha=sha)
    return NOT_OFFICIAL.replace("FID Inception", whose).format(sha=sha)


@dataclass
class Result:
    metrics: Dict[str, MetricValue]
    provenance: dict
    warnings: List[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> float:
        return self.metrics[name].value

    run: Optional[dict] = None  # the model that made the samples (baseline, step, seeds, checkpoint)

    @property
    def protocol(self) -> dict:
        """What decides whether two numbers compare (see `comparable`), derived from the provenance."""
        return protocol_of(self.provenance)

    def to_dict(self) -> dict:
        return {
            "ganbench_record": RECORD_FORMAT,
            "record_kind": "eval",
            "metrics": {k: infinite_as_text(v.to_dict()) for k, v in self.metrics.items()},
            "protocol": self.protocol,
            "run": self.run,
            "warnings": list(self.warnings),
            "provenance": self.provenance,
        }

    def to_json(self, path: Union[str, os.PathLike, None] = None, indent: int = 2) -> str:
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
        lines.append(
            f"samples: {_count(p['samples'])} "
            f"({p['samples'].get('path') or p['samples'].get('name') or p['samples'].get('kind')})"
            f"  reference: {p['reference']['name']} ({_count(p['reference'])})"
        )
        if p["weights"].get("sha256"):
            lines.append(
                f"weights: {'official' if p['weights']['official'] else 'NOT OFFICIAL'} "
                f"sha256 {p['weights']['sha256'][:16]}...  resize: {p['resize']}  device: {p['device']}"
            )
        else:  # PSNR/SSIM alone run no network
            lines.append(f"weights: none  device: {p['device']}")
        if p.get("pairs"):
            lines.append(f"pairs: {p['pairs']['count']} matched by {p['pairs']['matched_by']}")
        if warnings:
            lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def infinite_as_text(obj: Any) -> Any:
    """JSON has no inf: an infinite number (the PSNR of identical images) is written as the string "inf"
    (or "-inf"), which the schema allows where a metric's numbers are, and `from_dict` reads back."""
    if isinstance(obj, float) and math.isinf(obj):
        return "inf" if obj > 0 else "-inf"
    if isinstance(obj, dict):
        return {k: infinite_as_text(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [infinite_as_text(v) for v in obj]
    return obj


def _text_as_infinite(obj: Any) -> Any:
    if obj in ("inf", "-inf"):
        return float(obj)
    if isinstance(obj, dict):
        return {k: _text_as_infinite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_text_as_infinite(v) for v in obj]
    return obj


def _count(side: dict) -> str:
    return "statistics only, count unknown" if side.get("count") is None else str(side["count"])


def git_commit(package_dir: Union[str, os.PathLike, None] = None) -> Optional[str]:
    """The commit of the ganbench source tree, when it is a git checkout.

    None when it is not, including when ganbench is installed inside some other repository
    (e.g. a virtual environment in a project's checkout): that repository's commit says
    nothing about ganbench's code, so ganbench's own files must be tracked by it.
    """
    here = Path(package_dir or Path(__file__).resolve().parent)
    try:
        tracked = subprocess.run(
            ["git", "-C", str(here), "ls-files", "--error-unmatch", "--", "__init__.py"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if tracked.returncode != 0:
            return None
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
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


def environment(device: Any) -> dict:  # a torch.device, a name such as "cuda:0", or None
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


# ------------------------------------------------------------------------------ protocol, load


def protocol_of(p: dict) -> dict:
    """The comparability-deciding fields of a provenance block."""
    ref = p.get("reference") or {}
    weights = p.get("weights") or {}
    return {
        "n_generated": (p.get("samples") or {}).get("count"),
        "n_reference": ref.get("count"),
        "reference": {
            "name": ref.get("name"),
            "content_sha256": ref.get("content_sha256"),
            "file_sha256": ref.get("file_sha256"),
        },
        "extractor": p.get("extractor"),
        "weights_sha256": weights.get("sha256"),
        "weights_official": weights.get("official"),
        "resize": p.get("resize"),
        "dtype": p.get("dtype"),
        "metrics": list(p.get("metrics") or []),
        "options": dict(p.get("options") or {}),
        **(
            {"train": {k: p["train"].get(k) for k in ("name", "count", "content_sha256", "file_sha256")}}
            if p.get("train")
            else {}
        ),  # the training set, where a metric read one (--train)
    }


def from_dict(d: dict, where: str = "the record") -> Result:
    from .errors import GanbenchError

    version = d.get("ganbench_record") if isinstance(d, dict) else None
    if version not in (1, RECORD_FORMAT):
        raise GanbenchError(
            f"{where} is not a ganbench evaluation record (ganbench_record={version!r}); "
            f"write it with `ganbench eval --json`"
        )
    if d.get("record_kind", "eval") != "eval":
        raise GanbenchError(f"{where} is a {d['record_kind']} record, not an evaluation record")
    try:
        metrics = {
            k: MetricValue(**{**v, "ci": tuple(v["ci"]) if v.get("ci") else None})
            for k, v in _text_as_infinite(d["metrics"]).items()
        }
        return Result(metrics, d["provenance"], list(d.get("warnings", [])), run=d.get("run"))
    except (KeyError, TypeError, AttributeError) as e:
        raise GanbenchError(
            f"{where} is damaged ({type(e).__name__}: {e}); write it again with `ganbench eval --json`"
        ) from None


def load(path: Union[str, os.PathLike]) -> Result:
    """The Result a `ganbench eval --json FILE` record holds."""
    from .errors import GanbenchError

    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise GanbenchError(f"cannot read record {path}: {getattr(e, 'strerror', None) or e}") from None
    except json.JSONDecodeError as e:
        raise GanbenchError(
            f"{path} is not JSON ({e.msg} at line {e.lineno}): pass a record written by `ganbench eval --json`"
        ) from None
    return from_dict(d, str(path))


def comparable(a: Union[Result, dict], b: Union[Result, dict]) -> List[str]:
    """Why the numbers of records (or Results) `a` and `b` cannot be compared; empty when they can
    (the rules: comparability.py)."""
    from .comparability import comparable as reasons

    return reasons(a, b)
