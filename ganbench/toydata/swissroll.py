"""The Swiss roll of WGAN-GP's toy experiments (Gulrajani et al. 2017, fig. 1b), as their released code
draws it (igul222/improved_wgan_training gan_toy.py @fa66c57): sklearn's make_swiss_roll with noise
0.25, the x and z coordinates kept, divided by 7.5 ("stdev plus a little").

It is one continuous manifold, not a mixture: there are no modes to count, so it has no mode score
(`toydata.score` says so). The labels written with it are the roll's position t (sklearn's second
output), not a class."""

from __future__ import annotations

import numpy as np

NOISE = 0.25
SCALE = 7.5
DEFAULT_N = 2500


def sample_swissroll(n: int, seed: int = 0):
    """(points (n, 2) float64, t (n,) float64): seeded Swiss roll points and their position on the roll
    (any seed >= 0, 64-bit ones included, through a SeedSequence)."""
    from sklearn.datasets import make_swiss_roll

    x, t = make_swiss_roll(
        n_samples=n, noise=NOISE, random_state=np.random.RandomState(np.random.MT19937(np.random.SeedSequence(seed)))
    )
    return x[:, [0, 2]] / SCALE, t
