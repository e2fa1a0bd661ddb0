"""`ganbench compare A B [C ...] --ref REF`: each metric of each model, and each model against the first:
the difference, its interval and a p-value for 'differs beyond sampling noise' (paired.py). A metric
whose ideal is 0 (`better = "zero"`: ct, fld-gap) is compared by its distance from 0: the difference
is |B| - |A|, from the replicates' |values|, and the table names it |metric|.

With a bare record among the models (no features) the comparison is approximate: each side's
interval is read as a normal one (its half-width / z is its standard error), the two are taken as
independent, and the shared reference is not accounted for; the output says so.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Dict, List

import numpy as np

from ..defaults import DEFAULTS
from ..errors import GanbenchError
from ..metrics import METRICS
from ..metrics.base import reading
from ..progress import bar
from . import ppl as ppl_gate
from .models import Model, open_models, weight_notes
from .paired import interval, p_value, paired, value_interval

APPROXIMATE = (
    "approximate: {who} carries no features, so its numbers are compared through the records' "
    "intervals as independent normal errors (the shared reference is not accounted for); write "
    "records with `ganbench eval --save-features` for the paired bootstrap"
)


@dataclass
class Comparison:
    models: List[dict]
    metrics: List[str]
    values: dict  # {metric: [{"value", "ci"}] per model}
    pairs: dict  # {metric: [{"model", "against", "diff", "ci", "p"}] for models 2..}
    confidence: float
    bootstrap: int
    seed: int
    approximate: bool = False
    notes: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "ganbench_comparison": 1,
            "models": self.models,
            "metrics": self.metrics,
            "values": self.values,
            "differences": self.pairs,
            "confidence": self.confidence,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "better": {m: METRICS.get(m).better for m in self.metrics},  # "zero": differences are of |value|
            "method": "normal approximation from the records' intervals"
            if self.approximate
            else "paired bootstrap (one reference resample per replicate for every model)",
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def table(self, fmt: str = "text") -> str:
        pct = f"{round(self.confidence * 100, 1):g}%"
        head = ["model", "n"] + [f"{m} ({pct} CI)" for m in self.metrics]
        rows = [
            [d["label"], str(d["n"])] + [_value(self.values[m][i]) for m in self.metrics]
            for i, d in enumerate(self.models)
        ]
        head2 = [f"vs {self.models[0]['label']}", "metric", "difference", f"{pct} CI", "p"]
        rows2 = [
            [
                p["model"],
                f"|{m}|" if METRICS.get(m).better == "zero" else m,
                f"{p['diff']:+.6g}",
                f"[{p['ci'][0]:.6g}, {p['ci'][1]:.6g}]",
                f"{p['p']:.3g}",
            ]
            for m in self.metrics
            for p in self.pairs[m]
        ]
        blocks = [_render(head, rows, fmt), _render(head2, rows2, fmt)] if rows2 else [_render(head, rows, fmt)]
        lines = ["\n\n".join(blocks)]
        lines += [("> " if fmt == "md" else "note: ") + n for n in self.notes]
        return "\n".join(lines)


def _value(v: dict) -> str:
    return f"{v['value']:.6g}" + (f" [{v['ci'][0]:.6g}, {v['ci'][1]:.6g}]" if v.get("ci") else "")


def _render(head, rows, fmt: str) -> str:
    if fmt == "md":
        out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
        return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *rows])


def compare(
    models,
    ref=None,
    metrics=None,
    *,
    bootstrap: int = DEFAULTS["gate_bootstrap"],
    seed: int = 0,
    confidence: float = DEFAULTS["confidence"],
    labels=None,
    options=None,
    **kw,
) -> Comparison:
    """Compare sample sets, feature files, runs or records (see models.py) against one reference."""
    from ..engine import fit_to_outputs, parse_metrics

    names = parse_metrics(metrics)
    if len(models) < 2:
        raise GanbenchError("compare needs at least two models: ganbench compare A B [C ...] --ref REF")
    if bootstrap < 10:
        raise GanbenchError(
            f"--bootstrap {bootstrap}: the intervals and p-values need at least 10 replicates "
            f"(200 or more for p-values near 0.05)"
        )
    if ppl_gate.asked(names):  # records of generators, with their per-pair distances
        labels = labels or [str(m) for m in models]
        recs = ppl_gate.open_records(models, labels, ref)
        points, reps = ppl_gate.points_and_replicates(recs, bootstrap, seed)
        values, pairs = _from_replicates(names, labels, points, reps, confidence)
        ms = [{"label": lb, "kind": "record", "n": r.protocol["n_generated"]} for lb, r in zip(labels, recs)]
        return Comparison(ms, names, values, pairs, confidence, bootstrap, seed, notes=ppl_gate.notes(recs))
    opts = {**(options or {}), "bootstrap_seed": seed}
    ms, refs, used, trains = open_models(models, ref, names, opts=opts, labels=labels, **kw)
    names = fit_to_outputs(names, used, defaulted=metrics is None)
    bare = [m for m in ms if m.features is None]
    if not bare:
        with replicate_bar(names, bootstrap) as tick:
            points, reps = paired(
                names, [m.features for m in ms], refs, opts, bootstrap, seed, progress=tick, trains=trains
            )
        values, pairs = _from_replicates(names, [m.label for m in ms], points, reps, confidence)
    else:
        values, pairs = _approximate(ms, names, refs, opts, bootstrap, seed, confidence, trains)
    notes = weight_notes(used) + [n for m in ms for n in m.notes]
    if bare:
        notes.insert(0, APPROXIMATE.format(who=", ".join(m.label for m in bare)))
    return Comparison(
        [{"label": m.label, "kind": m.kind, "n": m.n} for m in ms],
        names,
        values,
        pairs,
        confidence,
        bootstrap,
        seed,
        approximate=bool(bare),
        notes=notes,
    )


def _from_replicates(names, labels, points, reps, confidence: float) -> tuple:
    """({metric: [value, interval] per model}, {metric: [difference from the first model]})."""
    values, pairs = {}, {}
    for name in names:
        vals = [p.value for p in points[name]]
        values[name] = [
            {"value": v, "ci": list(value_interval(name, reps[name][i], v, confidence))} for i, v in enumerate(vals)
        ]
        better = METRICS.get(name).better  # a metric best at 0 is compared by |value|
        r = reading(better, reps[name])
        pairs[name] = [
            _pair(
                labels[j],
                labels[0],
                float(reading(better, vals[j]) - reading(better, vals[0])),
                r[j] - r[0],
                confidence,
            )
            for j in range(1, len(labels))
        ]
    return values, pairs


@contextlib.contextmanager
def replicate_bar(names, bootstrap: int):
    """A progress bar over every bootstrap replicate of every metric, naming the metric it is in."""
    pb = bar(total=len(names) * bootstrap, desc=f"paired bootstrap ({', '.join(names)})", unit="replicate")
    try:
        yield pb.update
    finally:
        pb.close()


def _pair(model: str, against: str, diff: float, reps, confidence: float) -> dict:
    return {
        "model": model,
        "against": against,
        "diff": float(diff),
        "ci": list(interval(reps, diff, confidence)),
        "p": p_value(reps, diff),
    }


def _approximate(ms: List[Model], names, refs, opts, bootstrap, seed, confidence, trains=None) -> tuple:
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with_f = [i for i, m in enumerate(ms) if m.features is not None]
    if with_f:
        with replicate_bar(names, bootstrap) as tick:
            feats = [f for f in (ms[i].features for i in with_f) if f is not None]  # all of them, by with_f
            points, reps = paired(names, feats, refs, opts, bootstrap, seed, progress=tick, trains=trains)
    else:
        points, reps = {}, {}
    values: Dict[str, Any] = {}
    pairs: Dict[str, Any] = {}
    for name in names:
        est = []
        for i, m in enumerate(ms):
            if m.features is not None:
                k = with_f.index(i)
                v = points[name][k].value
                est.append((v, float(np.std(reps[name][k], ddof=1))))
                continue
            mv = m.record.metrics.get(name) if m.record is not None else None
            if mv is None or mv.ci is None:
                raise GanbenchError(
                    f"{m.label} has no {'interval' if mv else 'value'} for {name}: write it with "
                    f"`ganbench eval --metrics {name} --bootstrap 200 --save-features FILE --json ...`"
                )
            est.append((mv.value, (mv.ci[1] - mv.ci[0]) / (2 * z)))
        values[name] = [{"value": v, "ci": [v - z * s, v + z * s]} for v, s in est]
        pairs[name] = []
        absolute = METRICS.get(name).better == "zero"  # compared by |value| (its spread taken as the value's)
        for j in range(1, len(ms)):
            d = abs(est[j][0]) - abs(est[0][0]) if absolute else est[j][0] - est[0][0]
            s = math.hypot(est[j][1], est[0][1])
            p = 2 * (1 - NormalDist().cdf(abs(d) / s)) if s > 0 else float(d == 0)
            pairs[name].append(
                {"model": ms[j].label, "against": ms[0].label, "diff": d, "ci": [d - z * s, d + z * s], "p": p}
            )
    return values, pairs
