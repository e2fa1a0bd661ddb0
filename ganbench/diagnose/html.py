"""HTML and JSON writing for the diagnose report: a self-contained page (figures and thumbnails inlined
as base64 PNG, no external URLs, so the report opens offline and can be mailed as one file).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Callable, Iterable, List, Sequence

import numpy as np

from ..cache import atomic_path

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
    want = sorted({int(i) for i in indices})
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


def table(rows: Iterable[Sequence], header: Sequence[str], empty: str = "none") -> str:
    rows = list(rows)
    if not rows:
        return f'<p class="note">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def kv_table(d: dict, keys: Sequence[str]) -> str:
    return table([(k, d.get(k)) for k in keys if k in d], ("quantity", "value"))


def page(title: str, sections: List[str]) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{''.join(sections)}"
        f"<script>{SCRIPT}</script></body></html>"
    )


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
