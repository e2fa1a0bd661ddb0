"""calibration.json's issue-30 stages -> two sections of calibration.md and three figures.

calibration_report.report() appends `sections(record, folder)`; each section is written only when its stage
is in the JSON (a partial stage gives a partial section, marked so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from calibration_metrics import CMMD_NOTE, NEW, OLD

ALL = OLD + NEW
IDEAL_ZERO = {"ct", "ct-modified", "fld-gap"}  # Z-type scores: both signs are a defect
SHORT = {"gaussian noise": "noise", "gaussian blur": "blur", "black rectangles": "rects", "salt and pepper": "s&p"}
SUMMARY_NOTE = "rarity: the mean score of the samples inside the real k-NN balls (the record keeps the quantiles)"


def _better(name: str) -> str:
    from ganbench.metrics import METRICS

    return "0" if name in IDEAL_ZERO else METRICS.get(name).better


def _fmt(v) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _zf(z) -> str:
    return "-" if z is None or not np.isfinite(z) else (f"{z:+.1f}" if abs(z) < 10 else f"{z:+.0f}")


def _values(results: list, name: str) -> np.ndarray:
    return np.array([r[name]["value"] for r in results if r.get(name, {}).get("value") is not None], float)


def sections(record: dict, folder: Path) -> list:
    return _sensitivity(record, Path(folder)) + _sample_size(record, Path(folder))


# ------------------------------------------------------------------ stage metrics_disturbance
def _sensitivity(record: dict, folder: Path) -> list:
    d = record.get("metrics_disturbance")
    if not d or "clean" not in d["results"]:
        return ["## Issue 30's metrics vs disturbances: not measured yet", ""]
    import disturbances as dist
    from calibration_report import _pyplot

    older = record.get("disturbance", {})
    older = older.get("results", {}) if older.get("n") == d["n"] else {}

    def value(key, name):
        for source in (d["results"], older):
            v = source.get(key, {}).get(name, {}).get("value")
            if v is not None:
                return v
        return None

    floor = {m: _values(d["floor"], m) for m in ALL}
    sd = {m: floor[m].std(ddof=1) if len(floor[m]) > 1 else np.nan for m in ALL}
    clean = {m: value("clean", m) for m in ALL}

    def worse_delta(key, m):
        """Change from clean, signed so that + is worse (ideal-0 scores: + is further from 0)."""
        v = value(key, m)
        if v is None or clean[m] is None:
            return None
        b = _better(m)
        return abs(v) - abs(clean[m]) if b == "0" else (v - clean[m]) * (1 if b == "lower" else -1)

    def worse_z(key, m):
        """worse_delta in units of the real-vs-real sd; a metric with sd 0 (the same value in every
        partition) gives +-inf for any change, 0 for none."""
        delta = worse_delta(key, m)
        if delta is None or not sd[m] >= 0:
            return None
        return delta / sd[m] if sd[m] > 0 else float(np.sign(delta) * np.inf) if delta else 0.0

    kinds = {**dist.LEVELS, **dist.COPY_LEVELS}
    partial = [f"{k}|{lv}" for k, lvs in kinds.items() for lv in lvs if f"{k}|{lv}" not in d["results"]]
    out = [
        "## Issue 30's metrics vs disturbances, in units of each metric's real-vs-real spread",
        "",
        (
            f"Samples: the first {d['n']} excerpt test images, disturbed as above, plus `training copies` (the "
            f"last k samples replaced by the features of the first k training images: the memorisation case). "
            f"Two-set metrics score them against the {d['train_n']} train images (as the table above does, so "
            f"FID to coverage are that table's values); ct, ct-modified, fld and fld-gap take the train images "
            f"as --train and the other {d['held_n']} test images as the held-out --ref; authpct and mifid read "
            f"the train images as --train. Each metric's real-vs-real spread: its sd over {len(d['floor'])} "
            f"random partitions of all 2,034 real images into train ({d['train_n']}), samples ({d['n']}) and "
            f"held-out ({d['held_n']}); KID there in {d.get('floor_kid_subsets', 100)} subsets (the levels: 100), "
            "which can only widen its sd. A cell is (value - clean value) / that sd, signed so that **+ is worse** "
            "by the metric's own reading (higher-is-better metrics flipped; ct, ct-modified and fld-gap, whose "
            "ideal is 0: + = |value| grew); vendi and rarity read higher as better in the registry, but they "
            "measure diversity and rarity, not fidelity, so 'better' there means only 'higher'. |z| >= 3 is a "
            "change the metric sees beyond its real-vs-real noise. "
            f"{CMMD_NOTE}. {SUMMARY_NOTE}."
        ),
        "",
    ]
    if partial:
        out += [f"> **PARTIAL**: {len(partial)} levels not measured yet.", ""]
    out += [
        "| metric | better | clean | real-vs-real mean | real-vs-real sd | draws |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    out += [
        f"| {m} | {_better(m)} | {_fmt(clean[m])} | {_fmt(floor[m].mean() if len(floor[m]) else None)} | "
        f"{_fmt(sd[m])} | {len(floor[m])} |"
        for m in ALL
    ]
    out += [
        "",
        "Change per level (levels as in the raw table, weakest to strongest), in real-vs-real sd, + = worse:",
        "",
        "| metric | " + " | ".join(kinds) + " |",
        "| --- |" + " --- |" * len(kinds),
    ]
    grid = np.full((len(ALL), sum(len(v) for v in kinds.values())), np.nan)
    for i, m in enumerate(ALL):
        cells, j = [], 0
        for kind, levels in kinds.items():
            zs = [worse_z(f"{kind}|{lv}", m) for lv in levels]
            for z in zs:
                grid[i, j] = np.nan if z is None else z
                j += 1
            if sd[m] == 0:  # no spread to measure in: the raw change, marked
                zs_text = [
                    _zf(z) if z is None or z == 0 else f"Δ{worse_delta(f'{kind}|{lv}', m):+.3g}"
                    for z, lv in zip(zs, levels)
                ]
            else:
                zs_text = [_zf(z) for z in zs]
            cells.append(" / ".join(zs_text))
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    zero = [m for m in ALL if sd[m] == 0]
    if zero:
        out += [
            "",
            (
                f"{', '.join(zero)}: the same value in every real-vs-real partition (sd 0), so any change "
                "is beyond its noise; its cells show the raw change (Δ, + = worse) instead of z."
            ),
        ]
    out += ["", "Moves with (|z| >= 3 at the strongest level; the direction by the metric's own reading):", ""]
    for kind, levels in kinds.items():
        seen = []
        for m in ALL:
            z = worse_z(f"{kind}|{levels[-1]}", m)
            if z is not None and abs(z) >= 3:
                seen.append(f"{m} ({'worse' if z > 0 else 'reads BETTER'})")
        blind = [m for m in ALL if (z := worse_z(f"{kind}|{levels[-1]}", m)) is not None and abs(z) < 3]
        out.append(
            f"- {kind}: " + (", ".join(seen) or "none") + ("; blind: " + ", ".join(blind) if blind else "") + "."
        )
    _heatmap(_pyplot(), grid, kinds, folder / "calibration_metrics_disturbance.png", d)
    out += ["", "![issue-30 metrics vs disturbances](calibration_metrics_disturbance.png)", "", "Raw values:", ""]
    out += ["| disturbance | level | " + " | ".join(NEW) + " |", "| --- | ---: |" + " ---: |" * len(NEW)]
    out.append("| (clean) | 0 | " + " | ".join(_fmt(value("clean", m)) for m in NEW) + " |")
    for kind, levels in kinds.items():
        for lv in levels:
            if f"{kind}|{lv}" in d["results"]:
                out.append(f"| {kind} | {lv} | " + " | ".join(_fmt(value(f"{kind}|{lv}", m)) for m in NEW) + " |")
    copies = [f"training copies|{lv}" for lv in dist.COPY_LEVELS["training copies"]]
    out += ["", "The older metrics on `training copies` (not in the table above):", ""]
    out += ["| level | " + " | ".join(OLD) + " |", "| ---: |" + " ---: |" * len(OLD)]
    out += [f"| {k.split('|')[1]} | " + " | ".join(_fmt(value(k, m)) for m in OLD) + " |" for k in copies]
    return out + [""]


def _heatmap(plt, grid, kinds, path, d) -> None:
    from matplotlib.colors import SymLogNorm

    fig, ax = plt.subplots(figsize=(13, 6.5))
    im = ax.imshow(np.clip(grid, -100, 100), cmap="RdBu_r", norm=SymLogNorm(3, vmin=-100, vmax=100), aspect="auto")
    for (i, j), z in np.ndenumerate(grid):
        if not np.isnan(z):
            text = "inf" if np.isinf(z) else f"{z / 1000:.0f}k" if abs(z) >= 1000 else f"{z:.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=5.5, color="white" if abs(z) > 30 else "black")
    ax.set_yticks(range(len(ALL)), [f"{m} ({_better(m)})" for m in ALL], fontsize=7)
    labels = [f"{SHORT.get(k, k)} {lv}" for k, lvs in kinds.items() for lv in lvs]
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    fig.colorbar(im, ax=ax, label="(value - clean) / real-vs-real sd, + = worse")
    ax.set_title(
        f"Each metric's change per disturbance level, {d['n']} samples vs {d['train_n']} train "
        f"(sd over {len(d['floor'])} real partitions); cmmd: its estimator on pool3, not CLIP",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ stage metrics_bias
def _sample_size(record: dict, folder: Path) -> list:
    b = record.get("metrics_bias")
    if not b or not b["rows"]:
        return ["## Issue 30's metrics: sample-size bias: not measured yet", ""]
    from calibration_report import _pyplot

    names = ["fid", "kid"] + NEW
    ns = sorted({r["n"] for r in b["rows"]})
    stat = {}  # (metric, condition) -> {n: (mean, sd, count)}
    for m in names:
        for cond in ("real", "disturbed"):
            cur = {}
            for n in ns:
                v = _values([r["metrics"] for r in b["rows"] if r["n"] == n and r["condition"] == cond], m)
                if len(v):
                    cur[n] = (v.mean(), v.std(ddof=1) if len(v) > 1 else np.nan, len(v))
            stat[m, cond] = cur
    small = [n for n in ns if n < ns[-1]]
    at = " / ".join(map(str, small))
    out = [
        "## Issue 30's metrics: sample-size bias (real vs real, and vs real with Gaussian noise sigma 4/255)",
        "",
        f"N test images (or the same N with noise, {b['disturbance']}) against N train images; ct, ct-modified, "
        "fld and fld-gap take another N train images as the held-out set, so they stop at N = 500 (2N <= "
        "1,017); topp/topr need more than 160 reference samples. Draws per N: "
        + ", ".join(f"{n}: {c}" for n, c in b["draws"].items())
        + " (seeded subsets without replacement; the largest N is the full sets, one draw); KID in "
        + f"{b.get('kid_subsets', 100)} subsets of min(1,000, N). "
        "N_max is each metric's largest measured N. rel. bias = (mean at N - value at N_max) / |value at "
        "N_max| on the noisy case; floor shift = (real-vs-real mean at N - at N_max) / (noisy - real at N_max), "
        "how much of the effect being measured the small-N floor alone fakes. "
        f"{CMMD_NOTE}.",
        "",
        f"| metric | N_max | real @N_max | noisy @N_max | rel. bias at N = {at} | sd / effect at N = {at} | "
        + f"floor shift at N = {at} |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for m in names:
        real, noisy = stat[m, "real"], stat[m, "disturbed"]
        top = max(set(real) & set(noisy), default=None)
        if top is None:
            continue
        r0, d0 = real[top][0], noisy[top][0]
        effect = d0 - r0
        rel = [(noisy[n][0] - d0) / abs(d0) if n in noisy and n < top and d0 else None for n in small]
        sde = [noisy[n][1] / abs(effect) if n in noisy and n < top and effect else None for n in small]
        shift = [(real[n][0] - r0) / effect if n in real and n < top and effect else None for n in small]

        def pct(xs):
            return " / ".join("-" if x is None or not np.isfinite(x) else f"{100 * x:+.0f}%" for x in xs)

        out.append(
            f"| {m} | {top} | {_fmt(r0)} | {_fmt(d0)} | {pct(rel)} | {pct(sde).replace('+', '')} | {pct(shift)} |"
        )
    plt = _pyplot()
    cols = 5
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows))
    for ax, m in zip(axes.ravel(), names):
        for cond, label in (("real", "real vs real"), ("disturbed", "noise sigma 4")):
            cur = stat[m, cond]
            x = sorted(cur)
            ax.errorbar(x, [cur[n][0] for n in x], yerr=[np.nan_to_num(cur[n][1]) for n in x], marker="o", ms=3,
                        capsize=2, label=label)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xticks(ns, [str(n) for n in ns], fontsize=6)
        ax.set_title(m + (" (pool3, not CLIP)" if m == "cmmd" else ""), fontsize=8)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=6)
    fig.suptitle("Each metric vs N (mean +- sd over seeded draws; the largest N: the full sets, one draw)", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "calibration_metrics_bias.png", dpi=110)
    plt.close(fig)
    _cmmd_fid(plt, stat, ns, folder / "calibration_cmmd_fid.png")
    return out + [
        "",
        "![issue-30 metrics vs N](calibration_metrics_bias.png)",
        "",
        (
            "CMMD's sample-size claim, measured (its estimator on pool3 features, beside FID and KID on the "
            "same features and draws):"
        ),
        "",
        "![cmmd vs fid](calibration_cmmd_fid.png)",
        "",
    ]


def _cmmd_fid(plt, stat, ns, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for m in ("fid", "kid", "cmmd", "sw-approx"):
        real, noisy = stat[m, "real"], stat[m, "disturbed"]
        top = max(set(real) & set(noisy), default=None)
        if top is None:
            continue
        d0, effect = noisy[top][0], noisy[top][0] - real[top][0]
        x = sorted(n for n in noisy if n in real)
        label = "cmmd estimator (pool3)" if m == "cmmd" else m
        axes[0].plot(x, [100 * (noisy[n][0] - d0) / abs(d0) for n in x], marker="o", label=label)
        axes[1].plot(x, [100 * (real[n][0] - real[top][0]) / effect for n in x], marker="o", label=label)
    axes[0].set_ylabel("% of the value at the largest N")
    axes[0].set_title("noisy (sigma 4) vs train: (mean at N - value at largest N) / value", fontsize=9)
    axes[1].set_ylabel("% of the noise effect at the largest N")
    axes[1].set_title("real-vs-real floor shift vs N", fontsize=9)
    for ax in axes:
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xscale("log")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("N images per side")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
