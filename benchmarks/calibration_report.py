"""calibration.json -> calibration.md and calibration_*.png (`python benchmarks/calibration.py --report-only`).

Works on a partial record: each section is written only when its stage is in the JSON.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

METRICS = ["fid", "kid", "precision", "recall", "density", "coverage", "sfid"]
LOWER_BETTER = {"fid", "kid", "sfid"}
COMMAND = "python benchmarks/calibration.py --report-only"


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple:
    from scipy.stats import beta

    a = (1 - confidence) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def spearman(levels, values) -> float:
    from scipy.stats import spearmanr

    if np.ptp(values) == 0:
        return 0.0
    return float(spearmanr(levels, values).statistic)


def verdict(name: str, rho: float) -> str:
    """How a metric follows a disturbance: its rank correlation with the level, signed so that + is 'worse'."""
    worse = rho if name in LOWER_BETTER else -rho
    if worse >= 0.9:
        return "tracks"
    if worse >= 0.5:
        return "weak"
    if worse > -0.5:
        return "BLIND"
    return "INVERTED"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _fmt(v: float) -> str:
    return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _ci(m: dict) -> str:
    return f"[{_fmt(m['ci'][0])}, {_fmt(m['ci'][1])}]" if m.get("ci") else "-"


def report(record: dict, folder: Path) -> str:
    folder = Path(folder)
    setup = record.get("setup", {})
    args = setup.get("args", {})
    ex = setup.get("extractor", {})
    lines = [
        "# Calibration on real features (official pool3 weights)",
        "",
        "Regenerate the tables and figures from calibration.json: `" + COMMAND + "`.  ",
        "Redo the measurements (hours on 2 CPU cores; features kept in benchmarks/.calibration/): "
        "`python benchmarks/calibration.py` with the arguments below.",
        "",
        f"Data: {setup.get('data', '?')}, 1,017 + 1,017 real CIFAR-10 images. Extractor: {ex.get('extractor', '?')}, "
        f"weights sha256 {str(ex.get('weights_sha256', '?'))[:16]}..., official: {ex.get('weights_official')}, "
        f"resize {ex.get('resize', '?')}. Arguments: `{_args(args)}`.",
        "",
    ]
    if record.get("partial"):
        lines += [f"> **PARTIAL RESULTS**: {record['partial']}", ""]
    lines += _floor(record) + _bias(record, folder) + _disturbance(record, folder) + _gates(record, folder)
    from calibration_metrics_report import sections  # issue 30's metrics

    lines += sections(record, folder)
    text = "\n".join(lines) + "\n"
    (folder / "calibration.md").write_text(text)
    return text


def _args(args: dict) -> str:
    skip = {"report_only", "features", "json", "limit", "stages"}  # a resumed job names only its remaining stages
    return " ".join(
        f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in args.items()
        if k not in skip and v is not None
    )


def _floor(record) -> list:
    f = record.get("floor")
    if not f:
        return ["## Real-vs-real floor: not measured yet", ""]
    out = [
        f"## Real-vs-real floor: excerpt test ({f['n'][1]}) vs excerpt train ({f['n'][0]})",
        "",
        f"What two independent real samples of CIFAR-10 score at this size: the floor every model at "
        f"N = 1,017 is judged against. 95% bootstrap intervals ({f['bootstrap']} resamples of both sets, "
        f"ganbench's bias-corrected percentile intervals). KID in subsets of min(1,000, N).",
        "",
        "| metric | value | 95% interval |",
        "| --- | ---: | --- |",
    ]
    out += [f"| {k} | {_fmt(m['value'])} | {_ci(m)} |" for k, m in f["metrics"].items()]
    return out + [""]


def _bias(record, folder) -> list:
    b = record.get("bias")
    if not b:
        return ["## Bias and sample size: not measured yet", ""]
    plt = _pyplot()

    rows = b["rows"]
    ns = sorted({r["n"] for r in rows})
    out = [
        "## Bias and sample size: train vs test at N images each",
        "",
        f"{b['draws']} random subsets (without replacement) of each set per N; at N = 1,017 the full sets, "
        "with the bootstrap interval. Two real samples: the true FID and KID are ~0, so every value is "
        "the estimator's bias plus noise.",
        "",
        "| N | draws | FID mean | FID sd | FID range | KID mean | KID sd | KID range |",
        "| ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for j, name in enumerate(["fid", "kid"]):
        mean, lo, hi = [], [], []
        for n in ns:
            v = np.array([r[name]["value"] for r in rows if r["n"] == n])
            mean.append(v.mean())
            if len(v) > 1:
                lo.append(v.mean() - 2 * v.std(ddof=1))
                hi.append(v.mean() + 2 * v.std(ddof=1))
            else:
                ci = next(r[name]["ci"] for r in rows if r["n"] == n) or [v[0], v[0]]
                lo.append(ci[0])
                hi.append(ci[1])
        ax = axes[j]
        ax.errorbar(ns, mean, yerr=[np.subtract(mean, lo), np.subtract(hi, mean)], marker="o", capsize=3)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xscale("log")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("N images per side")
        ax.set_title(f"{name.upper()} train vs test (mean, +-2 sd over draws; N=1017: 95% CI)", fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "calibration_bias.png", dpi=110)
    plt.close(fig)
    for n in ns:
        f = np.array([r["fid"]["value"] for r in rows if r["n"] == n])
        k = np.array([r["kid"]["value"] for r in rows if r["n"] == n])

        def sd(v):
            return _fmt(v.std(ddof=1)) if len(v) > 1 else "-"

        out.append(
            f"| {n} | {len(f)} | {_fmt(f.mean())} | {sd(f)} | [{_fmt(f.min())}, {_fmt(f.max())}] | "
            f"{_fmt(k.mean())} | {sd(k)} | [{_fmt(k.min())}, {_fmt(k.max())}] |"
        )
    return out + ["", "![bias](calibration_bias.png)", ""]


def _disturbance(record, folder) -> list:
    d = record.get("disturbance")
    if not d:
        return ["## Disturbances: not measured yet", ""]
    plt = _pyplot()

    import disturbances as dist

    res = d["results"]
    clean = res["clean"]
    out = [
        "## Disturbances (Heusel et al. 2017, fig. 3) on real features",
        "",
        f"The first {d['n']} excerpt test images, disturbed, scored against all {d['ref_n']} train images "
        f"(level 0: the same {d['n']} images undisturbed). N = {d['n']} per level to fit the CPU budget: "
        "absolute FID/sFID values carry the small-N bias of the table above; the trends are the point. "
        "Spearman rank correlation of each metric with the level (level 0 included); verdict: 'tracks' = "
        "rho >= 0.9 in the worse direction, 'weak' 0.5-0.9, 'BLIND' |rho| < 0.5, 'INVERTED' = the metric "
        "improves as the images get worse (rho >= 0.5 the wrong way).",
        "",
    ]
    table = ["| disturbance | levels done | " + " | ".join(METRICS) + " |", "| --- | --- |" + " ---: |" * len(METRICS)]
    raw = ["| disturbance | level | " + " | ".join(METRICS) + " |", "| --- | ---: |" + " ---: |" * len(METRICS)]
    raw.append("| (clean) | 0 | " + " | ".join(_fmt(clean[m]["value"]) for m in METRICS) + " |")
    blind = []
    kinds = list(dist.LEVELS)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    span = {m: (min(v[m]["value"] for v in res.values()), max(v[m]["value"] for v in res.values())) for m in METRICS}
    for ax, kind in zip(axes.ravel(), kinds):
        done = [lv for lv in dist.LEVELS[kind] if f"{kind}|{lv}" in res]
        levels = [0] + done
        vals = {m: [clean[m]["value"]] + [res[f"{kind}|{lv}"][m]["value"] for lv in done] for m in METRICS}
        for lv in done:
            raw.append(
                f"| {kind} | {lv} | " + " | ".join(_fmt(res[f"{kind}|{lv}"][m]["value"]) for m in METRICS) + " |"
            )
        cells = []
        for m in METRICS:
            rho = spearman(levels, vals[m]) if len(levels) > 2 else float("nan")
            v = verdict(m, rho) if len(levels) > 2 else "-"
            cells.append(f"{rho:+.2f} {v}")
            if v in ("BLIND", "INVERTED"):
                blind.append(f"{m} {v.lower()} to {kind} (rho {rho:+.2f})")
            lo, hi = span[m]
            ax.plot(
                levels,
                (np.array(vals[m]) - lo) / (hi - lo or 1),
                marker="o",
                ms=3,
                ls="--" if m in LOWER_BETTER else "-",
                label=m,
            )
        table.append(f"| {kind} | {len(done)}/{len(dist.LEVELS[kind])} | " + " | ".join(cells) + " |")
        ax.set_title(kind, fontsize=9)
        ax.set_xlabel(dist.LEVEL_UNITS[kind], fontsize=8)
        ax.set_ylim(-0.05, 1.05)
    axes[0, 0].set_ylabel("value, min-max scaled per metric")
    axes[0, 0].legend(fontsize=7, ncol=2)
    fig.suptitle(
        f"Each metric vs disturbance level ({d['n']} test images vs {d['ref_n']} train; "
        "dashed: lower is better, solid: higher is better)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(folder / "calibration_disturbance.png", dpi=110)
    plt.close(fig)
    out += (
        table
        + [
            "",
            "Blind or inverted: " + ("; ".join(blind) if blind else "none") + ".",
            "",
            "![disturbances](calibration_disturbance.png)",
            "",
            "Raw values:",
            "",
        ]
        + raw
    )
    return out + [""]


def _gates(record, folder) -> list:
    out = []
    fp = record.get("gates_fp")
    if fp:
        splits = fp["splits"]
        names = list(splits[0])
        out += [
            f"## Gates on real data: false positives of `compare` over {len(splits)} equal-quality splits",
            "",
            f"Each split: the 2,034 real images shuffled, three disjoint sets of {fp['n_each']} (A, B, "
            f"reference); `ganbench.gates` paired bootstrap ({fp['bootstrap']} replicates) on their features; "
            f"a false positive is p < alpha = {fp['alpha']}. 95% Clopper-Pearson intervals. "
            "A and B are equal in quality by construction, so every detection is a false positive. "
            + (
                "The sets are smaller than a third of the 2,034 (`--gate-n`) to fit the CPU budget: the "
                "paired bootstrap of the six metrics costs minutes per split at 678 images a set on 2 cores. "
                if fp["n_each"] < 678
                else ""
            ),
            "",
            "| metric | false positives | rate | 95% interval |",
            "| --- | ---: | ---: | --- |",
        ]
        for name in names + ["any"]:
            k = sum(any(s[m]["differs"] for m in names) if name == "any" else s[name]["differs"] for s in splits)
            lo, hi = clopper_pearson(k, len(splits))
            label = "any of them (family-wise)" if name == "any" else name
            out.append(f"| {label} | {k}/{len(splits)} | {k / len(splits):.3f} | [{lo:.3f}, {hi:.3f}] |")
        out.append("")
    pw = record.get("gates_power")
    if pw:
        out += _power(pw, folder)
    if not fp and not pw:
        out += ["## Gates on real data: not measured yet", ""]
    return out


def _power(pw: dict, folder: Path) -> list:
    """One row per noise level and direction: each metric's difference B - A and its p-value."""
    plt = _pyplot()
    sigmas = list(pw["reps"])
    names = [k for k in pw["reps"][sigmas[0]][0] if k != "a"]
    out = [
        "## Gates on real data: power against Gaussian noise at N = 1,017",
        "",
        f"The regression case: A = the excerpt's {pw['n']} test images, B = the same images with Gaussian "
        f"noise of sigma (/255), reference = the {pw['n_ref']} train images (disjoint from both); where a "
        "second direction is listed, A = train and reference = test. `compare(A, B)` with "
        f"{pw['bootstrap']} paired replicates; **bold** = detected (p < {pw['alpha']}). The bootstrap "
        "resamples A and B independently, so it ignores that they are the same images: the detection "
        "shown is conservative for this case. One noise draw per level: each cell is one test, not a rate. "
        f"With {pw['bootstrap']} replicates the smallest p the test can give is 2 / {pw['bootstrap'] + 1} = "
        f"{2 / (pw['bootstrap'] + 1):.3g}.",
        "",
        "| sigma (/255) | A | " + " | ".join(f"{m}: B - A, p" for m in names) + " |",
        "| ---: | --- |" + " --- |" * len(names),
    ]
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for name in names:
        ax.plot(
            [float(s) for s in sigmas], [max(pw["reps"][s][0][name]["p"], 1e-3) for s in sigmas], marker="o", label=name
        )
    for s in sigmas:
        for rep in pw["reps"][s]:
            cells = []
            for name in names:
                c = f"{_fmt(rep[name]['diff'])}, p {rep[name]['p']:.2g}"
                cells.append(f"**{c}**" if rep[name]["differs"] else c)
            out.append(f"| {s} | {rep.get('a', '?')} | " + " | ".join(cells) + " |")
    ax.axhline(pw["alpha"], color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("noise sigma (/255)")
    ax.set_ylabel("p-value (dotted: alpha)")
    ax.legend(fontsize=7)
    ax.set_title(f"compare(A, A + noise), N = {pw['n']}, reference {pw['n_ref']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "calibration_gates.png", dpi=110)
    plt.close(fig)
    return out + ["", "![power](calibration_gates.png)", ""]
