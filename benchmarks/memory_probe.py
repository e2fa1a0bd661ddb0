"""Run one evaluation path in a fresh process and print its memory use as JSON.

    python benchmarks/memory_probe.py MODE N [WEIGHTS DEVICE]

MODE: ganbench-stats (FID only: streaming float64 moments), ganbench-features (all features
kept, as IS/KID/PRDC need), torch-fidelity-stats (torch-fidelity's FID path: all features
held, then np.cov), ganbench-inception-stats (the real network; on CUDA also reports GPU memory).
The first three use a cheap stand-in extractor (a fixed projection to 2048-d) so that N = 50,000
runs in seconds on a CPU: what is measured is what the pipeline keeps, not the network.
Reports peak RSS, the RSS before extraction (inputs loaded, modules imported), their difference.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    import numpy as np

    mode, n = sys.argv[1], int(sys.argv[2])
    images = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    import torch  # noqa: F401
    from common import StubExtractor

    from ganbench.features.pipeline import extract
    from ganbench.inputs.images import open_source

    gpu_peak = None
    if mode == "ganbench-inception-stats":
        from ganbench.features import InceptionExtractor

        extractor = InceptionExtractor(weights=sys.argv[3], device=sys.argv[4])
        extractor(images[:2])
    else:
        extractor = StubExtractor()
        extractor(images[:2])
    base = rss_mb()
    if extractor.__class__.__name__ == "InceptionExtractor" and extractor.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if mode in ("ganbench-stats", "ganbench-inception-stats"):
        fs = extract(open_source(images), extractor, batch_size=None, keep="stats")
        assert fs.stats.n == n
    elif mode == "ganbench-features":
        fs = extract(open_source(images), extractor, batch_size=None, keep="features")
        fs.stats = __import__("ganbench.stats", fromlist=["GaussianStats"]).GaussianStats.from_features(fs.pool)
    elif mode == "torch-fidelity-stats":
        from torch_fidelity.metric_fid import fid_features_to_statistics

        feats = []  # torch-fidelity's get_featuresdict_from_dataset keeps every batch, then cats
        for s in range(0, n, 64):
            feats.append(torch.from_numpy(extractor(images[s : s + 64])[0]))
        all_feats = torch.cat(feats, dim=0)
        del feats
        fid_features_to_statistics(all_feats)
    else:
        raise SystemExit(f"unknown mode {mode}")
    if extractor.__class__.__name__ == "InceptionExtractor" and extractor.device.type == "cuda":
        gpu_peak = torch.cuda.max_memory_allocated() / 2**20
    peak = rss_mb("VmHWM")
    print(
        json.dumps(
            {
                "mode": mode,
                "n": n,
                "peak_rss_mb": peak,
                "base_rss_mb": base,
                "delta_rss_mb": peak - base,
                "gpu_peak_mb": gpu_peak,
            }
        )
    )


if __name__ == "__main__":
    main()
