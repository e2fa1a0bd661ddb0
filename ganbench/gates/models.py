"""What `compare` and `check` compare: models given as sample sets, feature files, records or runs,
each turned into its features in every feature space the metrics read, beside one reference.

A record (`ganbench eval --json`) points to its features when it was written with `--save-features`:
they are read back after their sha256 is checked. A record without them is 'bare': only its numbers
and intervals are known, so a comparison with it is approximate (compare) or refused (check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from ..defaults import DEFAULTS
from ..engine import _extractor_weights, build_extractors, check_train, check_train_count, groups_by_extractor
from ..errors import GanbenchError
from ..features.featureset import FeatureSet
from ..features.files import load_stats_file
from ..metrics import METRICS
from ..metrics.base import with_defaults
from ..records import Result, comparable, load
from ..sides import (
    check_counts,
    check_inputs,
    count_only,
    metric_option_flag,
    resolve_reference,
    resolve_samples,
    side_features,
    side_meta,
)

N_FREE = ("kid", "fid-inf", "is-inf")  # estimates that do not drift with the sample count


@dataclass
class Model:
    label: str
    kind: str  # samples | features file | record | run
    features: Optional[Dict[str, FeatureSet]] = None  # None: a bare record
    record: Optional[Result] = None
    notes: List[str] = field(default_factory=list)

    @property
    def n(self) -> Optional[int]:
        if self.features:
            return next(iter(self.features.values())).n
        return self.record.protocol["n_generated"] if self.record is not None else None


def _record_features(rec: Result, label: str) -> tuple:
    """({extractor: FeatureSet} or None, why not)."""
    files = (rec.provenance.get("samples") or {}).get("features_files") or {}
    if not files:
        return None, f"{label} carries no features (write it with `ganbench eval --save-features FILE --json ...`)"
    out = {}
    for name, f in files.items():
        p = Path(f["path"])
        if not p.is_file() and Path(label).parent.joinpath(p.name).is_file():
            p = Path(label).parent / p.name  # moved together with its record
        if not p.is_file():
            return None, f"{label}'s features file {p} is missing (rewrite it with `ganbench eval --save-features`)"
        fs = load_stats_file(p)  # arrays only (no pickle); it hashes the file once, for its meta
        if fs.meta.get("file_sha256") != f["sha256"]:
            raise GanbenchError(
                f"{p} does not match the sha256 that {label} records: the features file was changed; "
                f"write both again with `ganbench eval --save-features FILE --json RECORD`"
            )
        out[name] = fs
    return out, ""


def _is_record(spec) -> bool:
    return isinstance(spec, Result) or (isinstance(spec, (str, Path)) and str(spec).endswith(".json"))


def _as_source(spec, run_options: dict, key=None):
    """(label, kind, ImageSource | FeatureSet | Result) of one model given on the command line."""
    from ..train.runs import is_run_dir

    if _is_record(spec):
        rec = spec if isinstance(spec, Result) else load(spec)
        return (str(spec) if not isinstance(spec, Result) else "record"), "record", rec
    if isinstance(spec, (str, Path)) and is_run_dir(spec):
        from ..inputs.images import open_source
        from ..train.sampling import sample

        images, info = sample(
            spec,
            run_options.get("n", 10000),
            seed=run_options.get("sample_seed", 0),
            checkpoint=run_options.get("checkpoint", "last"),
            device=run_options.get("device"),
        )
        if info["kind"] == "points":
            raise GanbenchError(f"{spec} makes 2-D points: compare toy runs with their mode metrics, not Inception's")
        return str(spec), "run", open_source(images)
    label, obj = resolve_samples(spec, key)
    return label, ("features file" if isinstance(obj, FeatureSet) else "samples"), obj


def open_models(
    specs,
    ref,
    metrics: List[str],
    *,
    weights=None,
    weights_for=None,
    resize=DEFAULTS["resize"],
    device=None,
    batch_size=DEFAULTS["batch_size"],
    num_workers=None,
    use_cache=True,
    fast=DEFAULTS["fast"],
    opts: Optional[dict] = None,
    labels=None,
    key=None,
    ref_key=None,
    train=None,
    train_key=None,
    **run_options,
) -> tuple:
    """([Model], {extractor: reference FeatureSet or None}, {extractor: extractor}, {extractor: training
    set FeatureSet}) for `metrics`. `train`: the models' training set, as `evaluate(train=)` takes it; it
    is held fixed in the paired bootstrap, and records scored against another one are refused."""
    check_train(metrics, train)
    groups = groups_by_extractor(metrics)
    needs_ref = any(METRICS.get(m).uses_ref for m in metrics)
    if needs_ref and ref is None:
        raise GanbenchError("these metrics need a reference: pass --ref NAME|PATH")
    ref_label, ref_obj = resolve_reference(ref, ref_key) if ref is not None else (None, None)
    train_label, train_obj = resolve_reference(train, train_key) if train is not None else (None, None)
    check_train_count(metrics, count_only(train_obj), with_defaults(opts or {}))
    sources = [_as_source(s, {**run_options, "device": device}, key) for s in specs]
    for _label, kind, obj in sources:  # the counts are known now: fail before any weights load or feature is extracted
        if kind != "record":
            check_counts(metrics, count_only(obj), count_only(ref_obj), with_defaults(opts or {}), metric_option_flag)
    used = build_extractors(groups, _extractor_weights(weights, weights_for), device=device, resize=resize, fast=fast)
    check_inputs(
        ref_obj,
        train_obj,
        *[o for _l, k, o in sources if k != "record"],
        extractors=list(used.values()),
        use_cache=use_cache,
    )
    kw = dict(batch_size=batch_size, num_workers=num_workers)
    refs = {
        name: (
            side_features(
                ref_obj,
                f"reference {ref_label}",
                ex.describe(),
                ex,
                "features",
                use_cache,
                f"reference features ({name})",
                **kw,
            )
            if ref_obj is not None
            else None
        )
        for name, ex in used.items()
    }
    trains = {
        name: side_features(
            train_obj,
            f"training set {train_label}",
            ex.describe(),
            ex,
            "features",
            use_cache,
            f"training features ({name})",
            **kw,
        )
        for name, ex in used.items()
        if train_obj is not None and any(METRICS.get(m).uses_train for m in groups.get(name, []))
    }
    train_meta = side_meta(next(iter(trains.values())), train_label) if trains else None
    models = []
    for i, (label, kind, obj) in enumerate(sources):
        label = labels[i] if labels else label
        if kind == "record":
            feats, why = _record_features(obj, label)
            m = Model(label, kind, record=obj, notes=[why] if why else [])
            if feats is not None:
                m.features = {
                    name: side_features(feats[name], label, ex.describe(), ex, "features", False, "")
                    for name, ex in used.items()
                    if name in feats
                }
                missing = [name for name in used if name not in feats]
                if missing:
                    m.features, m.notes = None, [f"{label} has no {', '.join(missing)} features"]
            _check_record(m, refs, used, metrics, ref_label, opts or {}, train_meta)
        else:
            look = "read" if use_cache else False  # features cached before are used; samples are not cached
            m = Model(
                label,
                kind,
                features={
                    name: side_features(
                        obj, f"samples {label}", ex.describe(), ex, "features", look, f"{label} features ({name})", **kw
                    )
                    for name, ex in used.items()
                },
            )
        models.append(m)
    check_counts_match(models, metrics)
    return models, refs, used, trains


def weight_notes(used: dict) -> List[str]:
    """The NOT-official line of every extractor whose weights are not its official ones."""
    from ..records import not_official

    return [not_official(ex) for ex in used.values() if not ex.weights.official]


def _check_record(m: Model, refs: dict, used: dict, metrics: List[str], ref_label, opts: dict, train_meta=None) -> None:
    """A record scored under another protocol (other reference, training set, split, weights, resize,
    options) is refused; its sample count is checked with the others' (check_counts_match)."""
    rec = m.record
    assert rec is not None  # called for the models read from records
    first = next(iter(used))
    desc, ref_fs = used[first].describe(), refs[first]
    here = {
        "samples": {"count": rec.protocol["n_generated"]},
        "reference": side_meta(ref_fs, ref_label) if ref_fs is not None else {"name": None, "count": 0},
        "extractor": desc["extractor"],
        "weights": {"sha256": desc["weights_sha256"]},
        "resize": desc["resize"],
        "dtype": desc["dtype"],
        "metrics": list(metrics),
        "options": {k: v for k, v in {**DEFAULTS, **opts}.items() if k in rec.protocol["options"]},
        **({"train": train_meta} if train_meta else {}),
    }
    reasons = comparable(rec, here)
    if reasons:
        raise GanbenchError(
            f"{m.label} is not comparable with this comparison: {'; '.join(reasons)}. Score both under one protocol"
        )


def check_counts_match(models: List[Model], metrics: List[str]) -> None:
    counts = {m.label: m.n for m in models}
    biased = [name for name in metrics if name not in N_FREE]
    if len(set(counts.values())) > 1 and biased:
        listed = ", ".join(f"{k}: {v}" for k, v in counts.items())
        raise GanbenchError(
            f"the sample counts differ ({listed}) and {', '.join(biased)} drift with N: score the "
            f"same number of samples, or only metrics that do not drift (`ganbench compare --metrics "
            f"{','.join(N_FREE)}`; `ganbench check` with limits on those alone)"
        )
