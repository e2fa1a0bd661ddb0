"""Memorisation check: is a sample closer to a training image than real images are to each other?

The nearest-training-neighbour check GAN papers have shown since Goodfellow et al. 2014, made
quantitative against the real-to-real nearest-neighbour distances (Meehan, Chaudhuri & Dasgupta
2020, "A Non-Parametric Test to Detect Data-Copying in Generative Models", test the same idea
cell-wise with a rank test), in Inception feature space:

* d_gen(i): distance from sample i to its nearest reference (training) image;
* d_real(j): leave-one-out distance from reference image j to its nearest *other* reference image,
  i.e. how close two genuinely different real images come;
* threshold tau = the `quantile` (default 1%) of d_real; sample i is flagged when d_gen(i) <= tau.

Independent samples from the data distribution are flagged at about `quantile` (slightly more,
because a sample is compared with n reference images and a reference image with n-1); exact copies
have d_gen = 0 and are always flagged.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..metrics.knn import as_features, exact_tolerance, knn


def memorization(
    gen: np.ndarray,
    ref: np.ndarray,
    *,
    quantile: float = 0.01,
    n_worst: int = 16,
    ref_nn: Optional[np.ndarray] = None,
    device=None,
) -> dict:
    """Flag samples nearer to a reference image than the `quantile` of real-to-real NN distances.

    `ref_nn` may pass in the reference's leave-one-out nearest-neighbour distances if already known.
    """
    gen = as_features(gen, "generated features")
    ref = as_features(ref, "reference features")
    dist, idx = knn(gen, ref, 1, device=device)
    d_gen, nn_idx = dist[:, 0], idx[:, 0]
    d_real = knn(ref, None, 1, device=device)[0][:, 0] if ref_nn is None else np.asarray(ref_nn)
    tau = float(np.quantile(d_real, quantile))
    flagged = d_gen <= tau
    order = np.argsort(d_gen, kind="stable")[:n_worst]
    med_real = float(np.median(d_real))
    return {
        "quantile": float(quantile),
        "threshold": tau,
        "n_flagged": int(flagged.sum()),
        "fraction_flagged": float(flagged.mean()),
        "expected_fraction_if_independent": float(quantile),
        "exact_copies": int((d_gen <= exact_tolerance(ref)).sum()),  # to float32 rounding (knn.EXACT_RTOL)
        "median_nn_distance_gen": float(np.median(d_gen)),
        "median_nn_distance_real": med_real,
        "nn_distance_ratio": float(np.median(d_gen) / med_real) if med_real > 0 else None,
        "worst": [
            {"index": int(i), "ref_index": int(nn_idx[i]), "distance": float(d_gen[i]), "flagged": bool(flagged[i])}
            for i in order
        ],
        "_d_gen": d_gen,
        "_d_real": d_real,
        "_nn_index": nn_idx,
        "_flagged": flagged,
    }
