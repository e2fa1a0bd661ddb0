"""Writes diagnostics.json and a self-contained index.html (figures and thumbnails inlined as base64
PNG, no external URLs, so the report opens offline and can be mailed as one file).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence

import numpy as np

from ..cache import atomic_path
from . import figures

THUMB_MAX = 96  # longest side of an inlined thumbnail, in pixels

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;
color:#222;padding:0 16px}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
font-size:.9em}th{background:#f4f4f4}img.fig{max-width:100%;display:block;margin:8px 0}
img.thumb{width:64px;height:64px;object-fit:contain;image-rendering:pixelated;background:#eee}
.warn{background:#fff4d6;border:1px solid #e8c661;padding:6px 10px;margin:4px 0}.note{color:#666;font-size:.9em}
"""

# Counts the images the browser actually decoded; tests (and curious users) read the attribute.
SCRIPT = """window.addEventListener('load',function(){var n=0,im=document.images;
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0)n++;}
document.body.setAttribute('data-images-decoded',n+'/'+im.length);});"""


def to_jsonable(obj):
    """Plain JSON types: drops keys starting with '_' (in-memory arrays), NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(data: dict, path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")


def png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _thumb_png(img) -> bytes:
    from PIL import Image

    a = np.asarray(img)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    im = Image.fromarray(a.squeeze(-1) if a.ndim == 3 and a.shape[-1] == 1 else a)
    if max(im.size) > THUMB_MAX:
        im.thumbnail((THUMB_MAX, THUMB_MAX))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def thumbnails(images, indices: Sequence[int]) -> dict:
    """{index: data URI} for `indices` of `images` (an ImageSource with .read, or an array)."""
    want = sorted(set(int(i) for i in indices))
    if images is None or not want:
        return {}
    got = images.read(want) if hasattr(images, "read") else np.asarray(images)[want]
    return {i: png_uri(_thumb_png(im)) for i, im in zip(want, got)}


class Raw(str):
    """Markup of our own making, put into a table cell unescaped."""


def img(uri: str, alt: str, cls: str = "fig") -> str:
    return Raw(f'<img class="{cls}" alt="{html.escape(alt)}" src="{uri}">')


def fmt(v) -> str:
    if isinstance(v, Raw):
        return v
    if v is None:
        return "&ndash;"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return html.escape(str(v))


def table(rows: Iterable[Sequence], header: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{fmt(c)}</td>"
                                    for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def kv_table(d: dict, keys: Sequence[str]) -> str:
    return table([(k, d.get(k)) for k in keys if k in d], ("quantity", "value"))


def page(title: str, sections: List[str]) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{''.join(sections)}"
            f"<script>{SCRIPT}</script></body></html>")


def write_html(text: str, path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def _text(v) -> str:
    return html.escape(v if isinstance(v, str) else json.dumps(to_jsonable(v)))


def _safe(fn: Callable[[], str], what: str) -> str:
    """A figure or grid that fails (an unreadable thumbnail, say) becomes a note, not a lost report."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the numbers must still be written
        return f'<p class="warn">{html.escape(what)} could not be drawn: {html.escape(str(e))}</p>'


def feature_report(res: dict, gen: np.ndarray, ref: np.ndarray, centroids: np.ndarray,
                   gen_images=None, ref_images=None, n_examples: int = 16) -> str:
    """The HTML page for an image (feature-space) diagnosis; `res` still holds the '_' arrays."""
    s = res["summary"]
    nd, bn, mem, dup, cl = res["ndb"], res["bins"], res["memorization"], res["duplicates"], res.get("classes")
    out = []
    if res.get("warnings"):
        out.append("".join(f'<p class="warn">{html.escape(w)}</p>' for w in res["warnings"]))
    out.append("<h2>Summary</h2>" + table(s.items(), ("quantity", "value")))
    out.append(f'<p class="note">{_text(res["inputs"].get("samples", "samples"))} vs '
               f'{_text(res["inputs"].get("reference", "reference"))}; {res["n_gen"]} samples, '
               f'{res["n_ref"]} reference images, {res["feature_dim"]}-d features.</p>')

    out.append("<h2>Bins (NDB, Richardson &amp; Weiss 2018)</h2>")
    out.append(note("The reference features are split into K clusters (K-means); each bin's share of samples is "
                    "compared with its share of reference images by a two-proportion z-test. About alpha*K bins "
                    "differ by chance; many more means modes are dropped (under-represented) or favoured (over)."))
    out.append(_safe(lambda: img(png_uri(figures.bin_proportions(nd)), "bin proportions"), "bin plot"))
    out.append(kv_table(nd, ("k", "alpha", "ndb", "ndb_over_k", "expected_ndb_if_same", "js_divergence_bits",
                             "fit_split", "min_expected_count")))
    sig = sorted(nd["over_represented"] + nd["under_represented"], key=lambda b: -abs(nd["z"][b]))
    out.append(table([(b, nd["proportions_ref"][b], nd["proportions_gen"][b], nd["z"][b],
                       "over" if nd["z"][b] > 0 else "under") for b in sig],
                     ("bin", "reference", "generated", "z", "direction")))

    out.append("<h2>Coverage and recall per bin</h2>")
    out.append(note("Coverage: share of a bin's reference images whose 5-NN ball holds a sample (Naeem et al. "
                    "2020). Recall: share inside some sample's 3-NN ball (Kynkaanniemi et al. 2019). "
                    "Unreached bins are parts of the data the generator never produces."))
    out.append(_safe(lambda: img(png_uri(figures.per_bin_coverage(bn, nd)), "per-bin coverage"), "coverage plot"))
    out.append(kv_table(bn, ("coverage", "recall", "k_coverage", "k_recall")))
    out.append(f"<p>Unreached bins (no reference point covered): {fmt(bn['unreached_bins'] or 'none')}</p>")

    out.append("<h2>Feature space projection (PCA of the reference)</h2>")
    out.append(_safe(lambda: img(png_uri(figures.projection(gen, ref, centroids, nd)), "PCA projection"),
                     "projection"))

    out.append("<h2>Memorisation</h2>")
    out.append(note("A sample is flagged when it is closer to its nearest reference image than all but "
                    f"{mem['quantile']:.0%} of reference images are to their nearest other reference image. "
                    "Independent samples are flagged at about that rate; copies always."))
    out.append(_safe(lambda: img(png_uri(figures.nn_distances(mem["_d_gen"], mem["_d_real"], mem["threshold"])),
                                 "nearest-neighbour distances"), "distance histogram"))
    out.append(kv_table(mem, ("quantile", "threshold", "n_flagged", "fraction_flagged",
                              "expected_fraction_if_independent", "exact_copies", "median_nn_distance_gen",
                              "median_nn_distance_real", "nn_distance_ratio")))
    worst = mem["worst"][:n_examples]

    def nn_grid():
        tg = thumbnails(gen_images, [w["index"] for w in worst])
        tr = thumbnails(ref_images, [w["ref_index"] for w in worst])
        return table([(img(tg[w["index"]], f"sample {w['index']}", "thumb") if tg else w["index"],
                       img(tr[w["ref_index"]], f"reference {w['ref_index']}", "thumb") if tr else w["ref_index"],
                       w["index"], w["ref_index"], w["distance"], w["flagged"]) for w in worst],
                     ("sample", "nearest reference", "sample #", "reference #", "distance", "flagged"))

    out.append("<p>Samples closest to a reference image, next to that image:</p>" + _safe(nn_grid, "image grid"))

    out.append("<h2>Duplicates</h2>")
    out.append(note("Pairs of samples closer than the same threshold. The rate counts samples that duplicate an "
                    "earlier one; the reference rate is for as many reference images. Support estimate: "
                    "n(n-1)/(2 pairs), the birthday-paradox reading of Arora &amp; Zhang 2017."))
    out.append(kv_table(dup, ("threshold", "pairs", "duplicate_rate", "exact_duplicate_rate",
                              "reference_subset_size", "reference_pairs", "reference_duplicate_rate", "rate_ratio",
                              "support_estimate", "support_lower_bound", "reference_support_estimate")))
    pairs = dup["closest_pairs"][:n_examples]

    def pair_grid():
        t = thumbnails(gen_images, [p["i"] for p in pairs] + [p["j"] for p in pairs])
        return table([(img(t[p["i"]], f"sample {p['i']}", "thumb") if t else p["i"],
                       img(t[p["j"]], f"sample {p['j']}", "thumb") if t else p["j"],
                       p["i"], p["j"], p["distance"]) for p in pairs],
                     ("sample i", "sample j", "i", "j", "distance"))

    out.append(_safe(pair_grid, "duplicate pairs") if pairs else "<p>No near-duplicate pairs.</p>")

    if cl is not None:
        out.append("<h2>Classes</h2>")
        if "_gen_counts" in cl:
            out.append(_safe(lambda: img(png_uri(figures.class_bars(cl)), "class histogram"), "class plot"))
        out.append(kv_table(cl, ("source", "n_classes", "classes_present_gen", "classes_present_ref",
                                 "entropy_gen", "entropy_ref", "effective_classes_gen", "effective_classes_ref",
                                 "kl_gen_ref", "smoothing", "alpha_per_class")))
        miss = cl["missing"][:30]
        out.append("<p>Missing classes (most common in the reference first):</p>" + table(
            [(m["class"], m["name"], m["ref"], m["p_absent_by_chance"], m["significant"]) for m in miss],
            ("class", "name", "reference share", "P(absent by chance)", "significant")))
        out.append("<p>Over-represented classes:</p>" + table(
            [(r["class"], r["name"], r["ref"], r["gen"], r["z"]) for r in cl["over_represented"][:30]],
            ("class", "name", "reference", "generated", "z")))

    out.append("<h2>Provenance</h2>" + table(
        [(k, json.dumps(to_jsonable(v)) if isinstance(v, (dict, list)) else v)
         for k, v in {**res["options"], **res.get("meta", {})}.items()], ("field", "value")))
    return page("ganbench diagnose", out)


def toy_report(res: dict, points: np.ndarray, centres: Optional[np.ndarray], ref: Optional[np.ndarray]) -> str:
    """The HTML page for a toy benchmark: scatter plot (2-D benchmarks) and the scores."""
    out = []
    if points is not None and points.ndim == 2 and points.shape[1] == 2:
        out.append(_safe(lambda: img(png_uri(figures.toy_scatter(
            points, centres, ref, res["benchmark"], res["score"].get("mode_counts"))),
                                     "samples and mode centres"), "scatter plot"))
    flat = {k: (json.dumps(to_jsonable(v)) if isinstance(v, (dict, list)) else v)
            for k, v in res["score"].items() if not str(k).startswith("_")}
    out.append("<h2>Scores</h2>" + table(flat.items(), ("quantity", "value")))
    return page(f"ganbench diagnose: {res['benchmark']}", out)
