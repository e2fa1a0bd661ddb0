"""statistics -> metrics. Each metric is one module that registers itself by name."""

from typing import List, Tuple

from . import (  # noqa: F401
    authpct,
    cas,
    cas_aug,
    class_prdc,
    clip_fid,
    cmmd,
    data_copying,
    density_coverage,
    fd_dinov2,
    fid,
    fid_inf,
    fld,
    gan_test,
    inception_score,
    intra_fid,
    kid,
    lpips,
    mifid,
    ppl,
    precision_recall,
    psnr,
    rarity,
    sfid,
    ssim,
    sw_approx,
    top_pr,
    vendi,
)
from .base import METRICS, Features, Metric, MetricValue
from .fid import frechet_distance

ALL = ("fid", "is", "kid", "precision", "recall", "density", "coverage")


def list_metrics() -> List[Tuple[str, str, str]]:
    """[(name, summary, reference)] for every registered metric."""
    return [(m.name, m.summary, m.reference) for name, m in METRICS.items() if name == m.name]


__all__ = ["METRICS", "Features", "Metric", "MetricValue", "frechet_distance", "list_metrics", "ALL"]
