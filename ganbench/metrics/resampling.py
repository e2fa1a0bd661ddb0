"""Point estimate and sampling interval of the four k-NN manifold metrics, shared by their modules."""

from __future__ import annotations

import zlib

import numpy as np

from .base import MetricValue, percentile_ci, with_defaults

CI_METHOD = (
    "percentile bootstrap over resamples of both sets (k-NN balls rebuilt per replicate; "
    "copies of a point are not its neighbours)"
)


def manifold_value(field: str, gen, ref, opts: dict) -> MetricValue:
    """`field`: precision, recall, density or coverage."""
    from .manifold import cached_manifolds  # torch: imported when a k-NN metric is computed, not registered
    from .manifold_bootstrap import replicates

    opts = with_defaults(opts)
    out = MetricValue(float(np.mean(getattr(cached_manifolds(gen, ref, opts), field))))
    n_boot = opts["bootstrap"]
    if n_boot:
        memo = opts.setdefault("_memo", {})
        key = (
            "manifold-bootstrap",
            id(gen.pool),
            id(ref.pool),
            opts["prc_k"],
            opts["dc_k"],
            n_boot,
            opts["bootstrap_seed"],
        )
        if key not in memo:  # one set of replicates serves all four metrics, whichever are asked
            rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(b"manifolds")])
            memo[key] = replicates(gen.pool, ref.pool, opts["prc_k"], opts["dc_k"], n_boot, rng)
        # the bias shift must not leave the metric's range: all four are >= 0, all but density <= 1
        out.ci = percentile_ci(
            memo[key][field], opts["confidence"], out.value, floor=0.0, ceiling=None if field == "density" else 1.0
        )
        out.ci_method = CI_METHOD
    return out
