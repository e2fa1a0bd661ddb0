"""`ganbench check SAMPLES --ref REF --baseline BASELINE [limits]`: a CI quality gate.

A limit on a change (`--max-fid-increase D`, `--max-increase METRIC=D`, `--max-decrease METRIC=D`)
fails when the candidate is worse than the baseline by more than D beyond noise: the (1 - alpha)
paired-bootstrap interval of 'how much worse' lies entirely above D. A bound (`--min METRIC=V`,
`--max METRIC=V`) fails when the candidate's own interval lies entirely on the wrong side of V.
A metric whose ideal is 0 (`better = "zero"`: ct's Z, fld-gap) is judged by its distance from 0: a
change limit (`--max-increase ct=D`) reads |value|, `--max ct=V` bounds |ct| (the interval of |x| from
x's interval), while `--min ct=V` stays one-sided on the signed value (`--min ct=-3`: fail on copying
alone). Reading a two-sided (1 - alpha) interval one-sidedly, a gate on a model that did not change
fails with probability at most alpha / 2 per limit (measured in tests/test_gate_calibration.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from ..defaults import DEFAULTS
from ..errors import GanbenchError
from ..metrics import METRICS
from ..metrics.base import abs_interval, reading
from . import ppl as ppl_gate
from .compare import replicate_bar
from .models import open_models, weight_notes
from .paired import interval, paired, value_interval


@dataclass(frozen=True)
class Limit:
    metric: str
    kind: str  # "change" (worse than the baseline by at most bound), "min", "max" or "abs" (|value| <= bound)
    bound: float

    def describe(self) -> str:
        better = METRICS.get(self.metric).better
        if self.kind == "change":
            word = "decrease" if better == "higher" else "increase"
            return f"max {'|' + self.metric + '|' if better == 'zero' else self.metric} {word} {self.bound:g}"
        if self.kind == "abs":
            return f"max |{self.metric}| {self.bound:g}"
        return f"{self.kind} {self.metric} {self.bound:g}"


def make_limit(metric: str, kind: str, bound: float, option: str) -> Limit:
    m = METRICS.get(metric)  # an unknown name raises, listing the known ones
    if kind == "increase" and m.better == "higher":
        raise GanbenchError(
            f"{option} {metric}={bound:g}: {m.name} is higher-is-better, so a regression lowers it; "
            f"pass --max-decrease {m.name}={bound:g}"
        )
    if kind == "decrease" and m.better in ("lower", "zero"):
        what = (
            "lower-is-better, so a regression raises it"
            if m.better == "lower"
            else "best at 0, so a regression raises |value|"
        )
        raise GanbenchError(f"{option} {metric}={bound:g}: {m.name} is {what}; pass --max-increase {m.name}={bound:g}")
    if kind in ("increase", "decrease") and bound < 0:
        raise GanbenchError(f"{option} {metric}={bound:g}: the allowed change must be >= 0")
    if kind == "max" and m.better == "zero":
        if bound < 0:
            raise GanbenchError(
                f"{option} {metric}={bound:g}: {m.name} is best at 0 and --max bounds |{m.name}|: pass V >= 0"
            )
        kind = "abs"
    return Limit(m.name, "change" if kind in ("increase", "decrease") else kind, float(bound))


@dataclass
class Outcome:
    limit: Limit
    passed: bool
    baseline: Optional[float]
    candidate: float
    diff: Optional[float]
    ci: tuple  # of the difference (change limits) or of the candidate's value (bounds)
    line: str


@dataclass
class CheckResult:
    outcomes: List[Outcome]
    alpha: float
    bootstrap: int
    seed: int
    candidate: str
    baseline: Optional[str]
    notes: List[str]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    def table(self) -> str:
        return "\n".join([o.line for o in self.outcomes] + [f"note: {n}" for n in self.notes])

    def to_dict(self) -> dict:
        return {
            "ganbench_check": 1,
            "passed": self.passed,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "alpha": self.alpha,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "notes": self.notes,
            "limits": [
                {
                    "metric": o.limit.metric,
                    "better": METRICS.get(o.limit.metric).better,  # "zero": change and abs limits read |value|
                    "kind": o.limit.kind,
                    "bound": o.limit.bound,
                    "passed": o.passed,
                    "baseline": o.baseline,
                    "candidate": o.candidate,
                    "diff": o.diff,
                    "ci": list(o.ci),
                    "line": o.line,
                }
                for o in self.outcomes
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _line(ok: bool, lim: Limit, base, cand, diff, ci, pct: str) -> str:
    word = "PASS" if ok else "FAIL"
    if lim.kind == "change":
        name = f"|{lim.metric}|" if METRICS.get(lim.metric).better == "zero" else lim.metric
        return (
            f"{word} {name} {base:.4g} -> {cand:.4g} ({diff:+.4g}, {pct} CI [{ci[0]:.4g}, {ci[1]:.4g}]; "
            f"{lim.describe()})"
        )
    if lim.kind == "abs":
        return f"{word} |{lim.metric}| {cand:.4g} ({pct} CI [{ci[0]:.4g}, {ci[1]:.4g}]; must be <= {lim.bound:g})"
    sign = ">=" if lim.kind == "min" else "<="
    return f"{word} {lim.metric} {cand:.4g} ({pct} CI [{ci[0]:.4g}, {ci[1]:.4g}]; must be {sign} {lim.bound:g})"


def check(
    samples,
    ref=None,
    baseline=None,
    limits: Sequence[Limit] = (),
    *,
    alpha: float = DEFAULTS["gate_alpha"],
    bootstrap: int = DEFAULTS["gate_bootstrap"],
    seed: int = 0,
    options=None,
    **kw,
) -> CheckResult:
    """Gate `samples` against `baseline` (samples, feature file, run, or a record with its features)."""
    if not limits:
        raise GanbenchError("no limits given: pass e.g. --max-fid-increase 1.0 or --min-precision 0.6")
    if not 0 < alpha < 0.5:
        raise GanbenchError(f"--alpha {alpha}: pass a number between 0 and 0.5 (0.05 is usual)")
    if bootstrap < 10:
        raise GanbenchError(f"--bootstrap {bootstrap}: the gate needs at least 10 replicates (200 is the default)")
    changes = [lim for lim in limits if lim.kind == "change"]
    if changes and baseline is None:
        raise GanbenchError(
            f"{changes[0].describe()} needs --baseline: the previous model's samples, run, or "
            f"record written with `ganbench eval --save-features`"
        )
    names = list(dict.fromkeys(lim.metric for lim in limits))  # only what the limits name
    specs = [baseline, samples] if baseline is not None else [samples]
    labels = [f"baseline {baseline}", f"candidate {samples}"][(baseline is None) :]
    if ppl_gate.asked(names):  # records of generators, with their per-pair distances
        recs = ppl_gate.open_records(specs, labels, ref)
        points, reps = ppl_gate.points_and_replicates(recs, bootstrap, seed)
        base = None if baseline is None else str(baseline)
        return CheckResult(
            judge(limits, points, reps, alpha), alpha, bootstrap, seed, str(samples), base, ppl_gate.notes(recs)
        )
    opts = {**(options or {}), "bootstrap_seed": seed}
    models, refs, used, trains = open_models(specs, ref, names, opts=opts, labels=labels, **kw)
    if baseline is not None and models[0].features is None:
        raise GanbenchError(models[0].notes[0] if models[0].notes else f"baseline {baseline} carries no features")
    with replicate_bar(names, bootstrap) as tick:
        points, reps = paired(
            names, [m.features for m in models], refs, opts, bootstrap, seed, progress=tick, trains=trains
        )
    return CheckResult(
        judge(limits, points, reps, alpha),
        alpha,
        bootstrap,
        seed,
        str(samples),
        None if baseline is None else str(baseline),
        weight_notes(used) + [n for m in models for n in m.notes],
    )


def judge(limits: Sequence[Limit], points: dict, reps: dict, alpha: float) -> List[Outcome]:
    """Each limit's outcome from paired.py's output; the candidate is the last model, the baseline
    (for change limits) the first."""
    conf, pct = 1 - alpha, f"{round((1 - alpha) * 100, 1):g}%"
    outcomes = []
    for lim in limits:
        c = len(points[lim.metric]) - 1
        better = METRICS.get(lim.metric).better
        cand = points[lim.metric][c].value
        base: Optional[float]
        diff: Optional[float]
        if lim.kind == "change":  # on |value| for a metric best at 0
            cand, base = (float(reading(better, points[lim.metric][i].value)) for i in (c, 0))
            diff = cand - base
            lo, hi = interval(reading(better, reps[lim.metric][c]) - reading(better, reps[lim.metric][0]), diff, conf)
            worse_lo = -hi if better == "higher" else lo
            ok = not worse_lo > lim.bound
        elif lim.kind == "abs":  # the interval of |x| from x's interval
            base = diff = None
            lo, hi = abs_interval(*value_interval(lim.metric, reps[lim.metric][c], cand, conf))
            cand = abs(cand)
            ok = not lo > lim.bound
        else:
            base = diff = None
            lo, hi = value_interval(lim.metric, reps[lim.metric][c], cand, conf)
            ok = not (hi < lim.bound if lim.kind == "min" else lo > lim.bound)
        outcomes.append(Outcome(lim, ok, base, cand, diff, (lo, hi), _line(ok, lim, base, cand, diff, (lo, hi), pct)))
    return outcomes


def junit_xml(result: CheckResult) -> str:
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="ganbench check",
        tests=str(len(result.outcomes)),
        failures=str(sum(not o.passed for o in result.outcomes)),
        errors="0",
    )
    for o in result.outcomes:
        case = ET.SubElement(suite, "testcase", classname="ganbench.check", name=o.limit.describe())
        if not o.passed:
            ET.SubElement(case, "failure", message=o.line, type="regression").text = o.line
        ET.SubElement(case, "system-out").text = o.line
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def summary_md(result: CheckResult) -> str:
    pct = f"{round((1 - result.alpha) * 100, 1):g}%"
    lines = [
        f"### ganbench check: {'PASS' if result.passed else 'FAIL'}",
        "",
        f"candidate `{result.candidate}`"
        + (f" against baseline `{result.baseline}`" if result.baseline else "")
        + f"; paired bootstrap x{result.bootstrap}, seed {result.seed}, alpha {result.alpha:g}",
        "",
        f"| result | metric | baseline | candidate | change | {pct} CI | limit |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for o in result.outcomes:
        base = "" if o.baseline is None else f"{o.baseline:.4g}"
        diff = "" if o.diff is None else f"{o.diff:+.4g}"
        lines.append(
            f"| {'PASS' if o.passed else '**FAIL**'} | {o.limit.metric} | {base} | {o.candidate:.4g} | {diff} | "
            f"[{o.ci[0]:.4g}, {o.ci[1]:.4g}] | {o.limit.describe()} |"
        )
    return "\n".join(lines + [f"\n> {n}" for n in result.notes]) + "\n"


def limits_from(
    max_fid_increase=None,
    max_kid_increase=None,
    min_precision=None,
    min_recall=None,
    min_coverage=None,
    max_increase: Optional[Dict[str, float]] = None,
    max_decrease: Optional[Dict[str, float]] = None,
    minimum: Optional[Dict[str, float]] = None,
    maximum: Optional[Dict[str, float]] = None,
) -> list:
    """The limits of `ganbench check`'s options, in the order the CLI lists them."""
    out = []
    for metric, value, kind, opt in (
        ("fid", max_fid_increase, "increase", "--max-fid-increase"),
        ("kid", max_kid_increase, "increase", "--max-kid-increase"),
        ("precision", min_precision, "min", "--min-precision"),
        ("recall", min_recall, "min", "--min-recall"),
        ("coverage", min_coverage, "min", "--min-coverage"),
    ):
        if value is not None:
            out.append(make_limit(metric, kind, value, opt))
    for pairs, kind, opt in (
        (max_increase, "increase", "--max-increase"),
        (max_decrease, "decrease", "--max-decrease"),
        (minimum, "min", "--min"),
        (maximum, "max", "--max"),
    ):
        for metric, value in (pairs or {}).items():
            out.append(make_limit(metric, kind, float(value), opt))
    return out
