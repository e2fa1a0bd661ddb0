"""Every training option, in one table: the baselines' `[train]` sections, `--set key=value` and
`ganbench.train(..., set={...})` all go through `resolve`, so an unknown key or a bad value is the
same one-line error everywhere, listing what is valid. The table's entries live in option_table.py (the
general options) and family_options.py (those of one objective family)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, Iterable, Optional, Tuple

from ..errors import GanbenchError
from .family_options import FAMILY
from .option_table import GENERAL, Option

OPTIONS: Dict[str, Option] = {**GENERAL, **FAMILY}


def _coerce(key: str, value, where: str):
    opt, given = OPTIONS[key], value
    if isinstance(value, str) and opt.kind is not str:
        text = value.strip().lower()
        if opt.kind is bool:
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}")
            return text in ("true", "1", "yes")
        try:
            value = opt.kind(float(text)) if opt.kind is int and float(text).is_integer() else opt.kind(text)
        except ValueError:
            raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}") from None
    if opt.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if opt.kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, opt.kind) or (opt.kind is not bool and isinstance(value, bool)) or not opt.check(value):
        raise GanbenchError(f"{where}: {key}={given} is not valid; {key} takes {opt.valid}")
    return value


def _unknown(key: str, where: str) -> GanbenchError:
    return GanbenchError(f"{where}: unknown option {key!r}; valid options are {', '.join(OPTIONS)}")


def parse_sets(pairs: Iterable[str]) -> Dict[str, str]:
    """`--set key=value` strings -> {key: value text}."""
    out = {}
    for p in pairs or ():
        key, sep, value = p.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise GanbenchError(f"--set {p!r}: expected key=value, e.g. --set ema=0.999")
        out[key] = value
    return out


def resolve(train: dict, overrides: Optional[dict] = None, where: str = "baseline") -> Dict[str, Any]:
    """Defaults <- the baseline's [train] <- overrides, each value checked; then cross-checks."""
    cfg = {k: o.default for k, o in OPTIONS.items()}
    for source, label in ((train, where), (overrides or {}, "--set")):
        for key, value in source.items():
            if key not in OPTIONS:
                raise _unknown(key, label)
            cfg[key] = _coerce(key, value, label)
    if cfg["loss"] in ("wasserstein", "hinge"):
        for key in ("label_smoothing", "label_flip"):
            if cfg[key]:
                raise GanbenchError(
                    f"{key} applies to the bce and lsgan losses, not {cfg['loss']}: "
                    f"--set {key}=0 or pick --set loss=bce"
                )
    if cfg["unrolled"]:
        for key in ("gp", "r1", "l1"):
            if cfg[key]:
                raise GanbenchError(
                    f"unrolled={cfg['unrolled']} looks ahead with D's loss alone, not the {key} "
                    f"penalty: --set {key}=0 or --set unrolled=0"
                )
        if cfg["critic_schedule"] != "constant":
            raise GanbenchError(
                f"unrolled={cfg['unrolled']} looks ahead over n_dis D batches, not the "
                f"{cfg['critic_schedule']} critic schedule: --set critic_schedule=constant or --set unrolled=0"
            )
        if cfg["optimizer"] != "adam":
            raise GanbenchError(
                f"unrolled={cfg['unrolled']} looks ahead with Adam's update, not {cfg['optimizer']}'s: "
                "--set optimizer=adam or --set unrolled=0"
            )
    for key, opt in OPTIONS.items():
        owners = (opt.objective,) if isinstance(opt.objective, str) else opt.objective
        if opt.objective and cfg["objective"] not in owners and cfg[key] != opt.default:
            raise GanbenchError(
                f"{key} belongs to objective={' | '.join(owners)}, not {cfg['objective']}: "
                f"--set {key}={opt.default} or --set objective={owners[0]}"
            )
    if cfg["lr_decay_start"] and cfg["lr_schedule"] == "constant":
        raise GanbenchError(
            f"lr_decay_start={cfg['lr_decay_start']} is where a linear decay starts or a step drops the lr: "
            "--set lr_schedule=linear or step, or --set lr_decay_start=0"
        )
    if cfg["lr_schedule"] == "step" and not cfg["lr_decay_start"]:
        raise GanbenchError(
            "lr_schedule=step drops the lr at lr_decay_start x steps: pass e.g. --set lr_decay_start=0.5"
        )
    if cfg["lr_step_factor"] != OPTIONS["lr_step_factor"].default and cfg["lr_schedule"] != "step":
        raise GanbenchError(
            f"lr_step_factor={cfg['lr_step_factor']} is the factor of lr_schedule=step: --set lr_schedule=step"
        )
    if cfg["g_batch_size"] == 0:
        cfg["g_batch_size"] = cfg["batch_size"]
    return cfg


def changed(cfg: dict) -> Dict[str, Any]:
    """The options that differ from the table's defaults (what `ganbench list` and records show)."""
    return {k: v for k, v in cfg.items() if v != OPTIONS[k].default}


# options added after runs were recorded: at their default they are left out of the hash, and a run saved
# without them reads as having the default, so earlier runs keep their hash and resume unchanged
LATER = (
    "unrolled",
    "ortho_reg",
    "objective",
    "augment",
    "diffaugment_policy",
    "ada_target",
    "ada_interval",
    "ada_kimg",
    "weight_clip",
    "d_reg_interval",
    "g_reg_interval",
    "pl_weight",
    "pl_decay",
    "pl_batch_shrink",
    "style_mixing",
    "ema_kimg",
    "ema_rampup",
    "l1_weight",
    "l1",
    "optimizer",
    "critic_schedule",
    "recon",
    "l2_weight",
    "adv_weight",
    "overlap",
    "overlap_weight",
    "content",
    "vgg_weights",
    "init_g",
    "lr_decay_start",
    "lambda_a",
    "lambda_b",
    "lambda_identity",
    "pool_size",
    "ema_buffers",
    "adam_eps",
    "hflip",
    "lr_step_factor",
    "test_norm",
)


def _canonical(cfg: dict) -> dict:
    return {k: v for k, v in cfg.items() if not (k in LATER and v == OPTIONS[k].default)}


def config_hash(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(_canonical(cfg), sort_keys=True).encode()).hexdigest()


def differing(a: dict, b: dict) -> Tuple[str, ...]:
    a, b = _canonical(a), _canonical(b)
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))
