"""The page of a paired evaluation (`ganbench eval OUTPUTS --target TARGETS --html FILE`): the metrics,
and each paired metric's worst pairs shown side by side, self-contained like the diagnose report."""

from __future__ import annotations

from html import escape

import numpy as np

from ..inputs.pairs import open_pairs
from ..metrics.masked import composite
from .html import _safe, img, note, page, table, thumbnails, write_html


def write_report(result, outputs, targets, path, *, key=None, target_key=None, mask=None) -> None:
    """A `ganbench.evaluate_paired` result as a page: the metrics table, then per paired metric its worst
    pairs (output, target, value) side by side; the images are read again from `outputs` / `targets`.
    With an inpainting mask (`mask`, or the one the record names) the output is shown completed, as it was
    scored: the output inside the hole, the input (= the target) outside it."""
    pairs = open_pairs(outputs, targets, key=key, target_key=target_key)
    paired = [n for n in result.metrics if "worst" in result.metrics[n].extra]
    hole = _hole(result, pairs, mask)

    rows = [
        (n, v.value, v.std, None if v.ci is None else f"[{v.ci[0]:.4g}, {v.ci[1]:.4g}]")
        for n, v in result.metrics.items()
    ]
    sections = [
        table(rows, ("metric", "mean", "spread", "interval")),
        note(f"{len(pairs)} pairs matched by {pairs.matched_by}"),
    ]
    sections += [f'<p class="warn">{escape(w)}</p>' for w in result.warnings]

    def worst(n):
        listed = result.metrics[n].extra["worst"]
        idx = [w["index"] for w in listed]
        tidx = [pairs.index[i] for i in idx]
        tgts = thumbnails(pairs.targets, tidx)
        if hole is None:
            outs = thumbnails(pairs.outputs, idx)
        else:  # as scored: composite of the output and its target (= the input outside the hole)
            shown = composite(np.asarray(pairs.outputs.read(idx)), np.asarray(pairs.targets.read(tidx)), hole[tidx])
            outs = dict(zip(idx, thumbnails(shown, range(len(idx))).values()))
        return table(
            [
                (
                    w["pair"],
                    w["value"],
                    img(outs[w["index"]], "output", "thumb"),
                    img(tgts[pairs.index[w["index"]]], "target", "thumb"),
                )
                for w in listed
            ],
            ("pair", n, "output" if hole is None else "output, completed (input outside the hole)", "target"),
        )

    for n in paired:
        sections.append(f"<h2>worst pairs by {n}</h2>" + _safe(lambda: worst(n), f"the worst pairs by {n}"))  # noqa: B023 - called within this iteration
    write_html(page("ganbench paired evaluation", sections), path)


def _hole(result, pairs, mask):
    """The (N, H, W) hole of a masked evaluation, from `mask` or the source its record names; else None."""
    named = (result.provenance.get("mask") or {}).get("from")
    source = mask if mask is not None else (named if named not in (None, "array") else None)
    if source is None:
        return None
    from ..paired import _mask

    return _mask(source, pairs)
