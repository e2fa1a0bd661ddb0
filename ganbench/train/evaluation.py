"""Eval-every: a small sample scored during training through the same engine `ganbench eval` uses.

Image data: FID and KID of `n` samples against the training images' features, computed once per run
(and cached by the engine like any reference), plus a near-copy rate for mode collapse. The samples are
made in memory as the extractor asks for them (`ganbench.inputs.generator`), never written out. The offline
benchmarks score with their own mode metrics (ring / grid: modes covered; stacked digits: modes hit)."""

from __future__ import annotations

import numpy as np
import torch

from .. import toydata
from ..errors import GanbenchError
from . import sampling
from .data import OFFLINE, TrainData

EVAL_SEED = 2**31 - 1  # eval samples use their own latents, apart from any user sampling seed
SAMPLE_BATCH = 500  # images per call of G (`sampling.generate`'s batch)


def _nn_distances(x: np.ndarray) -> torch.Tensor:
    """Each image's distance to its nearest other image, pixels on [0, 1]."""
    f = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    d = torch.cdist(f, f)
    d.fill_diagonal_(float("inf"))
    return d.min(1).values


def near_copy_rate(x: np.ndarray, tau: float) -> float:
    """Fraction of samples whose nearest other sample is closer than `tau` (pixels on [0, 1])."""
    return float((_nn_distances(x) < tau).float().mean())


def modes_reached(points: np.ndarray, name: str) -> int:
    """Centres that are the nearest centre of at least 1/(4K) of the samples, sharp or not: a blurry
    generator parked on one mode reaches 1 (VEEGAN's covered-modes count needs sharp samples)."""
    from ..toydata.mixtures import _nearest, mixture

    centres = mixture(name).centres
    idx, _ = _nearest(np.asarray(points, dtype=np.float64), centres)
    counts = np.bincount(idx, minlength=len(centres))
    return int((counts >= len(points) / (4 * len(centres))).sum())


class Evaluator:
    def __init__(self, data: TrainData, n: int, *, weights=None, device=None, ref_n: int = 10000):
        self.data, self.n, self.weights, self.device = data, int(n), weights, device
        self.bench = data.name if data.name in OFFLINE else None
        if self.bench is not None and toydata.BENCHMARKS.get(self.bench).score is None:
            raise GanbenchError(
                f"--eval-every on {self.bench}: it has no mode score to log; train without --eval-every"
            )
        self.ref_fs = self.extractor = None
        if self.bench is None:
            from ..features import get_features
            from ..features.extractors import make_extractor

            self.extractor = make_extractor("inception-v3-compat", weights=weights, device=device)
            ref = data.reference_images(max(ref_n, self.n))
            self.ref_fs = get_features(ref, extractor=self.extractor, desc="reference features")  # one Inception
            px = ref[: min(len(ref), self.n, 2000)]
            self.tau = 0.25 * float(_nn_distances(px).median())
            self.real_rate = near_copy_rate(px, self.tau)

    def __call__(self, G, info: dict) -> dict:
        was_training = G.training
        G.eval()
        try:
            return self._bench(G, info) if self.bench is not None else self._images(G, info)
        finally:
            G.train(was_training)

    def _bench(self, G, info: dict) -> dict:
        bench = self.bench
        assert bench is not None  # called for the toy benchmarks
        samples, _ = sampling.generate(G, info, self.n, EVAL_SEED, device=self.device or "cpu", progress=False)
        scores = toydata.score(bench, samples)
        out = {k: v for k, v in scores.items() if k != "mode_counts"}
        if self.data.kind == "points":
            out["modes_reached"] = modes_reached(samples, bench)
        if bench == "stacked-digits":
            out["modes_expected"] = 1000 * (1 - (1 - 1 / 1000) ** self.n)
        return out

    def _images(self, G, info: dict) -> dict:
        """FID/KID of G's samples made in memory, batch by batch as the extractor takes them (the images
        `ganbench sample` makes: its latents, labels, G batches and rounding), and their near-copy rate."""
        from ..engine import evaluate
        from ..inputs.generator import GeneratorSource

        src = GeneratorSource(
            _RunImages(G, EVAL_SEED),
            self.n,
            info["z_dim"],
            seed=EVAL_SEED,
            batch_size=SAMPLE_BATCH,
            classes="random" if info["num_classes"] else None,
            num_classes=info["num_classes"],
            device=self.device or "cpu",
            keep=2000,
        )
        res = evaluate(
            src,
            ref=self.ref_fs,
            metrics=["fid", "kid"],
            extractor=self.extractor,
            weights=self.weights,
            device=self.device,
            use_cache=False,
            kid_subset_size=min(1000, self.n),
        )
        if res is None:  # a non-zero rank under torchrun: rank 0 holds the scores
            return {}
        return {
            "fid": float(res["fid"]),
            "kid": float(res["kid"]),
            "n": self.n,
            "duplicate_rate": near_copy_rate(src.first(min(self.n, 2000)), self.tau),
            "duplicate_rate_real": self.real_rate,
            "weights_official": bool(self.extractor is not None and self.extractor.weights.official),
        }


class _RunImages:
    """G's images as `ganbench sample` makes them (float on the CPU, then `sampling.to_images`), NCHW uint8;
    a StyleGAN2 G's noise inputs drawn per sample from the seed, as `sample` draws them (called in order)."""

    def __init__(self, G, seed: int):
        self.G, self.seed, self.done = G, int(seed), 0
        self.styled = sampling._styled(G)

    def __call__(self, z, y=None):
        if self.styled:
            x = self.G(z, y, generator=sampling.noise_generators(self.seed, self.done, len(z)))
        else:
            x = self.G(z) if y is None else self.G(z, y)
        self.done += len(z)
        return sampling.to_images(x.float().cpu())
