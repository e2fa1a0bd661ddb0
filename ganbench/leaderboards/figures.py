"""A board's figures, as PNG bytes with no metadata that changes between builds (no software version,
no date): the same records give the same bytes."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Dict, List, Optional, Union

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:  # rows without this metric draw nothing to label
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))


def curves(
    rows: List[dict],
    logs: Dict[str, List[List[dict]]],
    metric: str,
    *,
    xlabel: str = "generator step",
    ylabel: Optional[str] = None,
    title: Optional[str] = None,
    ylog: bool = False,
) -> bytes:
    """`metric` against the training step (or the logs' other x under "step"): each row's mean over its
    seeds, the band their range; `ylog`: a log scale, the mean taken of the logs (a geometric mean)."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for i, r in enumerate(rows):
        runs = [log for log in logs.get(r["label"], []) if log]
        steps = sorted({p["step"] for log in runs for p in log if p.get(metric) is not None})
        if not steps:
            continue
        vals = np.array(
            [
                [next((p[metric] for p in log if p["step"] == s and p.get(metric) is not None), np.nan) for s in steps]
                for log in runs
            ],
            np.float64,
        )
        colour = COLOURS[i % len(COLOURS)]
        if ylog:  # a 0 (a float32 gradient that underflowed) has no place on a log axis: left out, not -inf
            vals = np.where(vals > 0, vals, np.nan)
        with warnings.catch_warnings():  # a point with no value in any seed stays NaN: a gap, said by the table
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.exp(np.nanmean(np.log(vals), 0)) if ylog else np.nanmean(vals, 0)
            lo, hi = np.nanmin(vals, 0), np.nanmax(vals, 0)
        ax.plot(steps, mean, color=colour, label=f"{r['label']} ({len(runs)} seeds)")
        ax.fill_between(steps, lo, hi, color=colour, alpha=0.15, linewidth=0)
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or metric)
    if title:
        ax.set_title(title, fontsize=9)
    else:
        ax.set_title(f"{metric} during training (line: mean over training seeds; band: their range)")
    _legend(ax)
    return _png(fig)


ROLE_COLOURS = {"floor": "#999999", "untrained": "#aec7e8"}  # a paired board's floors; trained rows are blue


def bars(
    rows: List[dict], reported: List[dict], metric: str, higher: Union[str, bool, None] = None, by_task: bool = False
) -> bytes:
    """`metric` of every row with its 95% interval; reported rows hatched, apart. `by_task` (a paired
    board): labels name the task, floors grey, untrained generators light blue, and the title says which
    way is better."""
    items = [
        (
            (f"{r['task']}: " if by_task and r.get("task") else "") + r["label"],
            r["cells"].get(metric, {}),
            False,
            ROLE_COLOURS.get(r.get("role") or "", "#1f77b4") if by_task else "#1f77b4",
        )
        for r in rows
    ]
    items += [
        (f"{r['label']} [reported]", {"mean": r["metrics"][metric]}, True, "#bbbbbb")
        for r in reported
        if metric in r["metrics"]
    ]
    items = [it for it in items if it[1].get("mean") is not None]
    fig = Figure(figsize=(8, 0.45 * max(len(items), 2) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(items))[::-1]
    for yi, (_lab, c, rep, colour) in zip(y, items):
        err = None
        if c.get("lo") is not None:
            err = [[c["mean"] - c["lo"]], [c["hi"] - c["mean"]]]
        ax.barh(
            yi,
            c["mean"],
            xerr=err,
            color=colour,
            hatch="//" if rep else None,
            capsize=3,
            edgecolor="#555555",
            linewidth=0.5,
        )
    ax.set_yticks(y)
    ax.set_yticklabels([it[0] for it in items], fontsize=8)
    ax.set_xlabel(f"{metric} (bars: mean; whiskers: 95% interval)")
    if by_task:
        ax.set_title(
            f"{metric}, {_direction_words(higher)}: trained (blue), untrained generator (light blue), floor (grey)",
            fontsize=9,
        )
    else:
        ax.set_title(
            "reproduced (blue, with intervals); reported (hatched): each under its own protocol, see the table",
            fontsize=9,
        )
    return _png(fig)


def scatter(rows: List[dict], x_metric: str, y_metric: str) -> bytes:
    """Each training seed of each row as a point (x_metric, y_metric): precision/recall, or for the
    toy boards quality against modes."""
    fig = Figure(figsize=(6.5, 5))
    ax = fig.add_subplot()
    for i, r in enumerate(rows):
        xs, ys = r["cells"].get(x_metric, {}).get("per_seed", {}), r["cells"].get(y_metric, {}).get("per_seed", {})
        seeds = sorted(set(xs) & set(ys), key=int)
        ax.scatter(
            [xs[s] for s in seeds],
            [ys[s] for s in seeds],
            color=COLOURS[i % len(COLOURS)],
            s=25,
            label=r["label"],
            alpha=0.8,
        )
    ax.set_xlabel(x_metric)
    ax.set_ylabel(y_metric)
    ax.set_title("one point per training seed")
    _legend(ax)
    return _png(fig)


def _direction_words(better: Union[str, bool, None]) -> str:
    """`better`: "higher", "lower", "zero", or a bool (True: higher)."""
    if isinstance(better, bool) or better is None:
        better = "higher" if better else "lower"
    return "closest to 0 is best" if better == "zero" else f"{better} is better"
