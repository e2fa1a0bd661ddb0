"""Counter-based randomness for training (ganbench/streams.py): every random draw of training is a pure
function of (seed, purpose, step, ...), so a resumed run needs no RNG state beyond the step it resumes at,
and every rank of a distributed run can draw the global batch and keep its slice (same numbers as one process)."""

from __future__ import annotations

from ..streams import PURPOSES, generator, numpy_rng, seed_of

__all__ = ["PURPOSES", "describe", "generator", "numpy_rng", "seed_of"]


def describe(seed: int, step: int) -> dict:
    """What a checkpoint records as its RNG state: all of it (data order, z, noise, penalties)."""
    return {
        "scheme": "counter (numpy SeedSequence of seed, purpose, step, substep)",
        "seed": int(seed),
        "next_step": int(step),
        "purposes": sorted(PURPOSES),
    }
