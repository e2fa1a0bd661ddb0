"""Counter-based randomness: every random draw of training is a pure function of (seed, purpose, step,
...), so a resumed run needs no RNG state beyond the step it resumes at, and every rank of a
distributed run can draw the global batch and keep its slice (same numbers as one process)."""

from __future__ import annotations

import numpy as np
import torch

PURPOSES = {"data": 1, "z_d": 2, "z_g": 3, "noise": 4, "gp": 5, "flip": 6, "dequant": 7, "sample": 8,
            "labels": 9, "eval": 10, "init": 11, "augment": 12, "mixing": 13, "pl_noise": 14,
            "net_rng": 15}


def seed_of(seed: int, purpose: str, *counters: int) -> int:
    words = np.random.SeedSequence([int(seed), PURPOSES[purpose], *map(int, counters)]).generate_state(2)
    return int((int(words[0]) << 32 | int(words[1])) & (2**63 - 1))


def generator(seed: int, purpose: str, *counters: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed_of(seed, purpose, *counters))


def numpy_rng(seed: int, purpose: str, *counters: int) -> np.random.Generator:
    return np.random.default_rng(seed_of(seed, purpose, *counters))


def describe(seed: int, step: int) -> dict:
    """What a checkpoint records as its RNG state: all of it (data order, z, noise, penalties)."""
    return {"scheme": "counter (numpy SeedSequence of seed, purpose, step, substep)", "seed": int(seed),
            "next_step": int(step), "purposes": sorted(PURPOSES)}
