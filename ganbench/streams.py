"""Counter-based randomness: every random draw is a pure function of (seed, purpose, counters...).

Training draws its batches, latents and noise this way (a resumed run needs no RNG state beyond its
step; every rank of a distributed run draws the global batch and keeps its slice), and sampling draws
latents in blocks of a fixed size, so image i is the same whatever batch size a generator runs at."""

from __future__ import annotations

import numpy as np
import torch

PURPOSES = {
    "data": 1,
    "z_d": 2,
    "z_g": 3,
    "noise": 4,
    "gp": 5,
    "flip": 6,
    "dequant": 7,
    "sample": 8,
    "labels": 9,
    "eval": 10,
    "init": 11,
    "augment": 12,
    "mixing": 13,
    "pl_noise": 14,
    "net_rng": 15,
    "sample_noise": 16,
    "hflip": 17,
}
PURPOSES.update({"data_a": 31, "data_b": 32, "pool": 33})  # CycleGAN: its two domains' orders, its image pools
PURPOSES.update({"ppl_z0": 61, "ppl_z1": 62, "ppl_t": 63, "ppl_y": 64, "ppl_noise": 65})  # ganbench.ppl: per pair


def seed_of(seed: int, purpose: str, *counters: int) -> int:
    words = np.random.SeedSequence([int(seed), PURPOSES[purpose], *map(int, counters)]).generate_state(2)
    return int((int(words[0]) << 32 | int(words[1])) & (2**63 - 1))


def generator(seed: int, purpose: str, *counters: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed_of(seed, purpose, *counters))


def numpy_rng(seed: int, purpose: str, *counters: int) -> np.random.Generator:
    return np.random.default_rng(seed_of(seed, purpose, *counters))
