"""`compare` and `check` on ppl records (ganbench.ppl, `eval RUN_DIR --metrics ppl --json`): ppl walks a
generator, so the models are records, and each record holds its per-pair distances. The bootstrap draws one
set of pair indices per replicate for every model (pair i has the same latents in every record made with the
same seed, and resampling independent sets jointly is as valid), and recomputes each trimmed mean on it.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..errors import GanbenchError
from ..metrics.base import MetricValue
from ..metrics.ppl import trimmed_mean
from ..records import Result, comparable, load


def asked(names: list[str]) -> bool:
    """Whether ppl is among `names`; it must then be alone."""
    if "ppl" not in names:
        return False
    if len(names) > 1:
        raise GanbenchError(
            "ppl compares records of generators, the other metrics samples: ask for ppl alone (`ganbench compare "
            "--metrics ppl`, or only ppl limits in `ganbench check`), and the others in a second command"
        )
    return True


def open_records(specs, labels, ref) -> list[Result]:
    """The ppl records `specs` (paths or Results), checked to hold per-pair distances and to be comparable."""
    if ref is not None:
        raise GanbenchError("ppl reads no reference: leave --ref out")
    recs = []
    for spec, label in zip(specs, labels):
        if isinstance(spec, Result):
            rec = spec
        elif str(spec).endswith(".json"):
            rec = load(spec)
        else:
            raise GanbenchError(
                f"{label}: ppl is compared through records: write one with `ganbench eval RUN_DIR --metrics ppl "
                f"--json REC.json` (Python: ganbench.ppl(G).to_json(path))"
            )
        v = rec.metrics.get("ppl")
        if v is None or "per_pair" not in (v.extra or {}):
            raise GanbenchError(
                f"{label} holds no ppl per-pair distances: write it with ganbench.ppl(G) or "
                f"`ganbench eval RUN_DIR --metrics ppl --json REC.json`"
            )
        recs.append(rec)
    for label, rec in zip(labels[1:], recs[1:]):
        reasons = comparable(recs[0], rec)
        if reasons:
            raise GanbenchError(f"{label} is not comparable with {labels[0]}: {'; '.join(reasons)}")
    return recs


def points_and_replicates(recs: list[Result], n_boot: int, seed: int) -> tuple:
    """({"ppl": [MetricValue per model]}, {"ppl": (M, B) replicates}), as gates/paired.py's `paired` gives."""
    d = [np.asarray(r.metrics["ppl"].extra["per_pair"], np.float64) for r in recs]
    opts = [r.provenance.get("options") or {} for r in recs]
    n = len(d[0])
    rng = np.random.default_rng([seed, zlib.crc32(b"ppl")])
    reps = np.empty((len(recs), n_boot))
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        for k in range(len(recs)):
            reps[k, b] = trimmed_mean(d[k][idx], opts[k])
    return {"ppl": [MetricValue(r["ppl"]) for r in recs]}, {"ppl": reps}


def notes(recs: list[Result]) -> list[str]:
    return list(dict.fromkeys(w for r in recs for w in r.warnings if w.startswith("NOT the official")))
