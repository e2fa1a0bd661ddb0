"""The diagnose report's image grids (samples, bin examples, nearest neighbours, duplicate pairs) and its
provenance table: the parts `feature_report` and `toy_report` (report.py) put on their pages."""

from __future__ import annotations

import numpy as np

from .html import Raw, img, table, thumbnails

N_GRID = 64  # generated samples shown in the grid
N_BIN_EXAMPLES = 8  # images per over/under-represented bin
N_BINS_SHOWN = 4  # bins of each direction shown with images


def sample_grid(images, n: int) -> str:
    """The first `n` images as a grid of thumbnails."""
    count = len(images)
    shown = list(range(min(n, count)))
    t = thumbnails(images, shown)
    cells = "".join(img(t[i], f"sample {i}", "thumb") for i in shown)
    return f'<p class="note">The first {len(shown)} of {count} samples.</p><div>{cells}</div>'


def bin_examples(nd: dict, gen_bins, ref_bins, gen_images, ref_images) -> str:
    """For the most over-represented bins, samples that fall in them (what the generator overproduces);
    for the most under-represented, reference images from them (what it misses)."""
    rows = []
    over = sorted(nd["over_represented"], key=lambda b: -nd["z"][b])[:N_BINS_SHOWN]
    under = sorted(nd["under_represented"], key=lambda b: nd["z"][b])[:N_BINS_SHOWN]
    for direction, bins, images, assigned, whose in (
        ("over", over, gen_images, gen_bins, "samples"),
        ("under", under, ref_images, ref_bins, "reference images"),
    ):
        if images is None:
            continue
        for b in bins:
            idx = np.flatnonzero(np.asarray(assigned) == b)[:N_BIN_EXAMPLES].tolist()
            t = thumbnails(images, idx)
            cells = Raw("".join(img(t[i], f"{whose} {i}", "thumb") for i in idx) or "&ndash;")
            rows.append((b, f"{direction}-represented", nd["z"][b], whose, cells))
    if not rows:
        return ""
    return (
        "<p>Examples: samples in the over-represented bins, reference images of the under-represented "
        "ones (what is missing):</p>" + table(rows, ("bin", "direction", "z", "images of", "examples"))
    )


def flat_rows(d: dict, prefix: str = "") -> list:
    rows = []
    for k, v in d.items():
        if str(k).startswith("_"):
            continue
        if isinstance(v, dict):
            rows += flat_rows(v, f"{prefix}{k}.")
        else:
            rows.append((f"{prefix}{k}", ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v))
    return rows


def provenance(res: dict) -> str:
    """Who made this report, when, how and from what, as readable rows rather than raw JSON."""
    env = res.get("environment") or {}
    head = [
        (k, env.get(k))
        for k in (
            "ganbench",
            "time_utc",
            "command",
            "git_commit",
            "device",
            "python",
            "numpy",
            "torch",
            "pillow",
            "scipy",
            "scikit_learn",
        )
        if k in env
    ]
    rest = flat_rows(
        {"inputs": res.get("inputs") or {}, "options": res.get("options") or {}, "features": res.get("meta") or {}}
    )
    return "<h2>Provenance</h2>" + table(head + rest, ("field", "value"))


def nn_grid(worst, gen_images, ref_images) -> str:
    """The samples closest to a reference image, each beside that image."""
    tg = thumbnails(gen_images, [w["index"] for w in worst])
    tr = thumbnails(ref_images, [w["ref_index"] for w in worst])
    return table(
        [
            (
                img(tg[w["index"]], f"sample {w['index']}", "thumb") if tg else w["index"],
                img(tr[w["ref_index"]], f"reference {w['ref_index']}", "thumb") if tr else w["ref_index"],
                w["index"],
                w["ref_index"],
                w["distance"],
                w["flagged"],
            )
            for w in worst
        ],
        ("sample", "nearest reference", "sample #", "reference #", "distance", "flagged"),
    )


def pair_grid(pairs, gen_images) -> str:
    """The closest pairs of samples, side by side."""
    t = thumbnails(gen_images, [p["i"] for p in pairs] + [p["j"] for p in pairs])
    return table(
        [
            (
                img(t[p["i"]], f"sample {p['i']}", "thumb") if t else p["i"],
                img(t[p["j"]], f"sample {p['j']}", "thumb") if t else p["j"],
                p["i"],
                p["j"],
                p["distance"],
            )
            for p in pairs
        ],
        ("sample i", "sample j", "i", "j", "distance"),
    )
