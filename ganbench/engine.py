"""The evaluation engine: samples + reference -> features -> metrics -> a Result with provenance.

`evaluate()` is what `ganbench eval` calls; everything the CLI can do, Python can do here. What it will
compute (the metrics, their options, the extractors they read) is planned in plan.py.
"""

from __future__ import annotations

import time
import warnings
import zlib
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

import numpy as np

from . import cache, distributed
from .annotations import DeviceArg, Images, Labels, PathArg
from .defaults import DEFAULTS
from .errors import GanbenchError
from .features import get_features
from .features.extractors import EXTRACTORS, make_extractor
from .features.files import check_stats_path, write_stats_file
from .features.pipeline import FeatureSet, cache_mode, pick_batch_size
from .metrics import METRICS

# the metric plan (plan.py): streaming.py, cli/ and the tests import these names from here too
from .plan import (  # noqa: F401
    INTERVAL_KEYS,
    _check_options,
    _extractor_weights,
    _options,
    build_extractors,
    check_train,
    check_train_count,
    fit_to_outputs,
    groups_by_extractor,
    option_keys,
    parse_metrics,
    refuse_generator_metrics,
)
from .records import Result, environment, not_official
from .sides import (
    check_counts,
    check_inputs,
    count_only,
    for_extractor,
    labels_meta,
    resolve_reference,
    resolve_samples,
    side_features,
    side_labels,
    side_meta,
    train_side_labels,
    with_labels,
)


def save_sample_features(sides: dict, path: PathArg) -> dict:
    """Write each extractor's sample features (a `ganbench stats` file: every metric can read it) to
    `path` (the first extractor) or `path` with `.NAME.npz` (the others); {extractor: {path, sha256}}."""
    out = {}
    for i, (name, (gen_fs, _ref)) in enumerate(sides.items()):
        p = Path(path) if i == 0 else Path(path).with_suffix(f".{name}.npz")
        write_stats_file(gen_fs, p)
        out[name] = {"path": str(p.resolve()), "sha256": cache.file_digest(p)}
    return out


def _precomputed_matches(obj: object, name: str, label: str) -> None:
    if not isinstance(obj, FeatureSet):
        return
    held = obj.meta.get("extractor") or "inception-v3-compat"  # a pytorch-fid (mu, sigma) file is pool3
    if held != name:
        raise GanbenchError(
            f"{label} holds {held} features but {name} features are needed: pass "
            f"the images, or a file from `ganbench stats --extractor {name}`"
        )


def evaluate(
    samples: Images,
    ref: Images = None,
    metrics: Optional[Iterable[str]] = None,
    *,
    weights: Optional[PathArg] = None,
    weights_for: Optional[Dict[str, PathArg]] = None,
    resize: str = DEFAULTS["resize"],
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    device: DeviceArg = None,
    num_workers: Optional[int] = None,
    use_cache: bool = True,
    extractor: Any = None,
    fast: bool = DEFAULTS["fast"],
    key: Optional[str] = None,
    ref_key: Optional[str] = None,
    save_features: Optional[PathArg] = None,
    labels: Labels = None,
    ref_labels: Labels = None,
    train: Images = None,
    train_key: Optional[str] = None,
    train_labels: Labels = None,
    **options: Any,
) -> Optional[Result]:
    """Score `samples` against `ref`: the Result (None on the other ranks than 0 under torchrun).

    samples: folder, .npz/.npy (`key` picks the array of a multi-array .npz), uint8 NHWC array or
    tensor, or a statistics file (`ganbench stats`: every metric; pytorch-fid (mu, sigma): FID).
    ref: a registered name (`cifar10`, `cifar10-test`), a folder/.npz/.npy of images (`ref_key`),
    a `ganbench stats` file, or a pytorch-fid (mu, sigma) .npz for FID. Each extractor the metrics
    need runs once over each image set; `weights` is Inception's, `weights_for` maps any extractor
    name (e.g. "clip") to its weights; `extractor` replaces the first one. Options: see
    `ganbench.defaults.DEFAULTS`. `save_features`: a path where the samples' features are written
    (`ganbench compare` and `check` read them back through the record, which names them by sha256).
    `labels` / `ref_labels`: the classes of each image, for the metrics that read them (intra-fid): an
    array, a labels file, an array name of the side's .npz or "folders" (`ganbench.inputs.side_labels`);
    found without them where the side holds its own (a .npz `labels` array, a registered reference).
    `train`: the model's training set, in any form `ref` takes (`train_key`), for the metrics that read it
    (ct, ct-modified, fld need it, with `ref` the held-out set; mifid and authpct look for copies of it
    instead of `ref`).
    """
    names = parse_metrics(metrics)
    refuse_generator_metrics(names)
    opts = _options(options)
    if save_features is not None:  # before minutes of extraction, not after
        check_stats_path(save_features)
        cache.check_writable(save_features, "features file", "pass --save-features a writable .npz path")
    groups = groups_by_extractor(names)
    paths = _extractor_weights(weights, weights_for)
    if any(METRICS.get(n).uses_ref for n in names) and ref is None:
        raise GanbenchError(
            f"{', '.join(n for n in names if METRICS.get(n).uses_ref)} need a reference: pass --ref NAME|PATH"
        )
    timings, results = {}, {}
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        t = time.perf_counter()
        _check_options(names, opts)
        check_train(names, train)
        gen_label, gen_obj = resolve_samples(samples, key)
        ref_label, ref_obj = resolve_reference(ref, ref_key) if ref is not None else (None, None)
        train_label, train_obj = resolve_reference(train, train_key) if train is not None else (None, None)
        first_gen = for_extractor(gen_obj, next(iter(groups)))
        for name in groups:
            _precomputed_matches(for_extractor(gen_obj, name), name, f"samples {gen_label}")
            _precomputed_matches(ref_obj, name, f"reference {ref_label}")
            _precomputed_matches(train_obj, name, f"training set {train_label}")
        # the counts decide some metrics before any weights load (a default IS may still be left out below)
        early = names if metrics is not None else [n for n in names if "logits" not in METRICS.get(n).needs]
        check_counts(early, count_only(first_gen), count_only(ref_obj), opts)
        check_train_count(names, count_only(train_obj), opts)
        found = side_labels(names, (gen_label, first_gen, samples), (ref_label, ref_obj, ref), labels, ref_labels)
        found["train"] = train_side_labels(names, (train_label, train_obj, train), train_labels)
        used = build_extractors(groups, paths, extractor=extractor, device=device, resize=resize, fast=fast)
        names = fit_to_outputs(names, used, defaulted=metrics is None)
        groups = groups_by_extractor(names)
        # and a default IS that stayed: before minutes of feature extraction, not after
        check_counts([n for n in names if n not in early], count_only(first_gen), count_only(ref_obj), opts)
        use_cache = cache_mode(use_cache)
        check_inputs(gen_obj, ref_obj, train_obj, extractors=list(used.values()), use_cache=use_cache)
        timings["setup"] = time.perf_counter() - t
        kw = dict(batch_size=batch_size, num_workers=num_workers)
        sides, trains = {}, {}
        for i, (name, members) in enumerate(groups.items()):
            ex = used[name]
            desc = ex.describe()
            keep = "stats" if members == ["fid"] and not opts["bootstrap"] and not save_features else "features"
            ref_fs, what = None, ("", "") if i == 0 else (f" ({name})", f"_{name}")  # the first as it always was
            t = time.perf_counter()
            if ref_obj is not None:
                ref_fs = side_features(
                    ref_obj, f"reference {ref_label}", desc, ex, keep, use_cache, f"reference features{what[0]}", **kw
                )
                timings[f"reference_features{what[1]}"] = time.perf_counter() - t
            t = time.perf_counter()
            gen_fs = side_features(
                for_extractor(gen_obj, name),
                f"samples {gen_label}",
                desc,
                ex,
                keep,
                use_cache is True and "progress",
                f"sample features{what[0]}",
                **kw,
            )
            timings[f"sample_features{what[1]}"] = time.perf_counter() - t
            if train_obj is not None and any(METRICS.get(m).uses_train for m in members):
                t = time.perf_counter()
                trains[name] = side_features(
                    train_obj,
                    f"training set {train_label}",
                    desc,
                    ex,
                    "features",
                    use_cache,
                    f"training features{what[0]}",
                    **kw,
                )
                timings[f"training_features{what[1]}"] = time.perf_counter() - t
            sides[name] = (with_labels(gen_fs, found.get("gen")), with_labels(ref_fs, found.get("ref")))
        if not distributed.is_main():  # under torchrun: rank 0 gathered the features and scores them
            return None
        for name, members in groups.items():
            gen_fs, ref_fs = sides[name]
            check_counts(members, gen_fs, ref_fs if ref_fs is not None else FeatureSet(), opts)
            for m in members:
                t = time.perf_counter()
                rng = np.random.default_rng([opts["bootstrap_seed"], zlib.crc32(m.encode())])
                metric = METRICS.get(m)
                more = {"train": with_labels(trains.get(name), found.get("train"))} if metric.uses_train else {}
                results[m] = metric.compute(gen_fs, ref_fs, opts, rng, **more)
                timings[f"metric_{m}"] = time.perf_counter() - t
    if save_features is not None:
        samples_files = save_sample_features(sides, save_features)
    caught = list(dict.fromkeys(str(w.message) for w in wlist))  # each warning once
    caught[:0] = [not_official(ex) for ex in used.values() if not ex.weights.official]
    results = {m: results[m] for m in names}
    first = next(iter(groups))
    gen_fs, ref_fs = sides[first]
    ex, desc = used[first], used[first].describe()
    samples_meta = (
        gen_obj.describe() | {"content_sha256": gen_obj.content_hash()}
        if not isinstance(gen_obj, (FeatureSet, dict))
        else side_meta(gen_fs, gen_label)
    )
    if save_features is not None:
        samples_meta["features_files"] = samples_files
    samples_meta.update(labels_meta(found.get("gen")))
    provenance = {
        **environment(ex.device),
        "weights": ex.weights.describe(),
        "extractor": desc["extractor"],
        "resize": desc["resize"],
        "dtype": desc["dtype"],
        "batch_size": pick_batch_size(ex, batch_size),
        "metrics": names,
        "options": {k: v for k, v in opts.items() if not k.startswith("_")},  # not the metrics' scratch memo
        "seeds": {"bootstrap": opts["bootstrap_seed"], "kid": opts["kid_seed"], "is_shuffle": opts["is_shuffle_seed"]},
        "samples": samples_meta,
        "reference": (
            {**side_meta(ref_fs, ref_label), **labels_meta(found.get("ref"))}
            if ref_fs is not None
            else {"name": None, "count": 0}
        ),
        **(
            {"train": {**side_meta(next(iter(trains.values())), train_label), **labels_meta(found.get("train"))}}
            if trains
            else {}
        ),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        **(
            {
                "extractors": {
                    n: {**e.describe(), "weights": e.weights.describe(), "metrics": groups[n]} for n, e in used.items()
                }
            }
            if len(used) > 1
            else {}
        ),
        **({"world_size": distributed.world_size()} if distributed.is_enabled() else {}),
    }
    return Result(results, provenance, caught)


def compute_stats(
    source: Images,
    output: Optional[PathArg] = None,
    *,
    weights: Optional[PathArg] = None,
    resize: str = DEFAULTS["resize"],
    batch_size: Optional[int] = DEFAULTS["batch_size"],
    device: DeviceArg = None,
    num_workers: Optional[int] = None,
    use_cache: bool = True,
    fast: bool = DEFAULTS["fast"],
    key: Optional[str] = None,
    spatial: bool = False,
    extractor: str = "inception-v3-compat",
) -> Optional[FeatureSet]:
    """Features + statistics of a reference, optionally written to `output` for later `--ref output`.
    `spatial` also keeps Inception's mixed_6/conv features, so the file serves sFID too; `extractor`
    names the feature space (`ganbench list extractors`), whose weights `weights` then are. Under
    torchrun the ranks share the extraction and rank 0 writes the file; the other ranks get None."""
    from .inputs.images import open_source
    from .sides import _is_registered, _registered_reference

    if output is not None:  # before minutes of extraction, not after
        check_stats_path(output)
        cache.check_writable(output, "statistics file", "pass -o a writable path")
    label = str(source) if isinstance(source, (str, Path)) else "array"
    if isinstance(source, (str, Path)) and not Path(source).exists() and _is_registered(str(source)):
        src = _registered_reference(str(source))
    else:
        src = open_source(source, key=key)
    ex = make_extractor(
        EXTRACTORS.get(extractor).name, weights=weights, resize=resize, device=device, fast=fast, spatial=spatial
    )
    use_cache = cache_mode(use_cache)
    check_inputs(src, extractors=[ex], use_cache=use_cache)
    fs = get_features(
        src, extractor=ex, batch_size=batch_size, num_workers=num_workers, use_cache=use_cache, desc="features"
    )
    if not distributed.is_main():  # under torchrun: rank 0 gathered the features and writes the file
        return None
    fs.meta = {**fs.meta, "name": label}
    if output is not None:
        write_stats_file(fs, output)
    return fs
