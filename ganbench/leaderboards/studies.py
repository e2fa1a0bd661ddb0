"""A board of studies rather than rows (board.toml `kind = "studies"`, e.g. leaderboards/pathologies):
study records (record_kind "study": one study x setting x seed, its measured curves) -> figures of each
curve (mean over seeds, band: their range), a summary table (CSV, JSON) and a README that sets each
figure beside its source (board.toml's [[study]] text). Built and verified like the other boards: the
same records give the same bytes, and `ganbench leaderboard verify` checks the records' sha256 and a
fresh build; the curves themselves are re-measured by rerunning the board's runner, not by verify.

A [[study.figure]] draws one curve of every setting of its study: against the records' x (`curve`
holds one number per x), or, with `profile = true`, across layers at the last x (`curve` holds one
list per x, layer 1 first)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Union

import numpy as np

from ..errors import GanbenchError
from . import figures, render

if TYPE_CHECKING:
    from .rows import Entry


def _series(rec: dict, fig: dict) -> List[dict]:
    """The record's curve as figures.curves' log: [{"step": x, curve: value}], x a layer for profiles."""
    name, ys = fig["curve"], rec["curves"].get(fig["curve"])
    if ys is None:
        raise GanbenchError(
            f"study record of {rec['study']} / {rec['setting']} (seed {rec['seed']}) has no curve "
            f"{name!r}: fix the figure's curve in board.toml or rerun the board's runner"
        )
    if fig.get("profile"):
        return [{"step": i + 1, name: v} for i, v in enumerate(ys[-1])]
    return [{"step": x, name: v} for x, v in zip(rec["x"]["values"], ys)]


def _change(log: List[dict], name: str) -> tuple:
    """(first x, last x, first value, last value, log10(last / first)) of one seed's curve."""
    pts = [(p["step"], p[name]) for p in log if p.get(name) is not None]
    (x0, v0), (x1, v1) = pts[0], pts[-1]
    ratio = math.log10(v1 / v0) if v0 > 0 and v1 > 0 else None
    return x0, x1, v0, v1, ratio


def _summary(logs: List[List[dict]], name: str) -> dict:
    ch = [_change(log, name) for log in logs]
    ratios = [c[4] for c in ch if c[4] is not None]
    return {
        "from": ch[0][0],
        "to": ch[0][1],
        "first_mean": float(np.mean([c[2] for c in ch])),
        "last_mean": float(np.mean([c[3] for c in ch])),
        "log10_change_mean": float(np.mean(ratios)) if ratios else None,
        "log10_change_min": float(min(ratios)) if ratios else None,
        "log10_change_max": float(max(ratios)) if ratios else None,
    }


def _linked(link: dict, out: Union[str, os.PathLike]) -> dict:
    """A [[link]] with its rows' numbers read from the linked board's board.json (built from its own records),
    so the figures quoted here are never typed by hand; a rebuild of that board shows up here at the next build."""
    path = Path(out) / link["board"] / "board.json"
    if not path.is_file():
        raise GanbenchError(
            f"{path} is missing: the [[link]] {link['title']!r} reads the board it links; build "
            f"that board first (ganbench leaderboard build {Path(out) / link['board']}/records "
            f"--out {Path(out) / link['board']})"
        )
    linked = json.loads(path.read_text())
    metrics, by_label = linked["metrics"], {r["label"]: r for r in linked["rows"]}
    missing = [r for r in link.get("rows", []) if r not in by_label]
    if missing:
        raise GanbenchError(
            f"{path} has no row {missing[0]!r}: fix the [[link]]'s rows in board.toml "
            f"(that board's rows: {', '.join(sorted(by_label))})"
        )
    rows = [
        {
            "label": r,
            "seeds": max((by_label[r]["cells"][m].get("n") or 0) for m in metrics),
            "cells": {m: {k: by_label[r]["cells"][m].get(k) for k in ("mean", "lo", "hi")} for m in metrics},
        }
        for r in link.get("rows", [])
    ]
    return {**link, "metrics": metrics, "linked_rows": rows}


def build_files(board: dict, entries: Sequence[Entry], folder: Union[str, os.PathLike] = ".") -> Dict[str, bytes]:
    """{file name: bytes} of a studies board (in `folder`) from its definition and its study records
    (rows.Entry)."""
    from .build import figures_made_with

    by: Dict[str, Dict[str, List[Entry]]] = {}
    for e in entries:
        if e.data.get("record_kind") != "study":
            raise GanbenchError(
                f"{e.name} is not a study record: a studies board is built from the records its "
                f'runner writes (record_kind "study")'
            )
        by.setdefault(e.data["study"], {}).setdefault(e.data["setting"], []).append(e)
    studies, figs, rows = [], {}, []
    for st in board.get("study", []):
        settings = by.get(st["name"], {})
        order = [s for s in st.get("settings", []) if s in settings] + sorted(
            set(settings) - set(st.get("settings", []))
        )
        members = {s: sorted(settings[s], key=lambda e: (e.data["seed"], e.name)) for s in order}
        out = {k: st[k] for k in ("name", "title", "source", "setup", "differs", "result", "reproduced") if k in st}
        out["settings"] = [
            {
                "label": s,
                "seeds": [e.data["seed"] for e in members[s]],
                "records": [{"record": e.name, "sha256": e.sha256, "seed": e.data["seed"]} for e in members[s]],
                "commands": sorted({e.data["command"] for e in members[s]}),
            }
            for s in order
        ]
        out["summary"], out["figures"] = [], []
        for fig in st.get("figure", []):
            logs = {s: [_series(e.data, fig) for e in members[s]] for s in order}
            if order:
                figs[fig["file"]] = figures.curves(
                    [{"label": s} for s in order],
                    logs,
                    fig["curve"],
                    ylog=fig.get("log", False),
                    xlabel="critic layer (1: input side)"
                    if fig.get("profile")
                    else members[order[0]][0].data["x"]["name"],
                    ylabel=fig.get("ylabel"),
                    title=fig.get("title"),
                )
                out["figures"].append(fig["file"])
            out["summary"] += [
                {
                    "setting": s,
                    "curve": fig["curve"],
                    "profile": bool(fig.get("profile")),
                    "seeds": len(logs[s]),
                    **_summary(logs[s], fig["curve"]),
                }
                for s in order
            ]
        rows += [{"label": f"{st['name']} / {s['label']}", "records": s["records"]} for s in out["settings"]]
        studies.append(out)
    known = {st["name"] for st in board.get("study", [])}
    stray = next((e for e in entries if e.data["study"] not in known), None)
    if stray is not None:
        raise GanbenchError(
            f"{stray.name} belongs to study {stray.data['study']!r}, which board.toml does not define: "
            f"add a [[study]] for it or remove the record"
        )
    data = {
        "ganbench_board": 1,
        "kind": "studies",
        "title": board["title"],
        "description": board["description"],
        "studies": studies,
        "links": [_linked(link, folder) for link in board.get("link", [])],
        "rows": rows,
        "set_aside": [],
        "set_aside_count": 0,
        "figures": sorted(figs),
        "figures_made_with": figures_made_with(),
        "records": [{"record": e.name, "sha256": e.sha256} for e in entries],
        "records_dir": "records",
    }
    return {
        "README.md": markdown(data).encode(),
        "board.csv": csv_text(data).encode(),
        "board.json": render.to_json(data).encode(),
        **figs,
    }


def _g(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _summary_rows(st: dict) -> List[List[str]]:
    out = []
    for r in st["summary"]:
        where = "layer" if r["profile"] else "step"
        span = "" if r["log10_change_min"] is None else f" [{_g(r['log10_change_min'])}, {_g(r['log10_change_max'])}]"
        out.append(
            [
                r["setting"],
                r["curve"],
                str(r["seeds"]),
                f"{where} {r['from']}: {_g(r['first_mean'])}",
                f"{where} {r['to']}: {_g(r['last_mean'])}",
                _g(r["log10_change_mean"]) + span,
            ]
        )
    return out


def markdown(board: dict) -> str:
    lines = [
        f"# {board['title']}",
        "",
        board["description"],
        "",
        "Generated by `ganbench leaderboard build` from the study records in `records/` (one per study x "
        "setting x seed, never edited by hand); `ganbench leaderboard verify` checks every record's sha256 and "
        "this folder against a fresh build. Figures: the mean over seeds, the band their range. Tables: each "
        "curve's first and last point (mean over seeds) and log10(last / first), mean [min, max] over seeds.",
        "",
    ]
    for st in board["studies"]:
        lines += [
            f"## {st['title']}",
            "",
            f"**Source.** {st.get('source', '')}",
            "",
            f"**The source's setup.** {st.get('setup', '')}",
            "",
            f"**What differs here.** {st.get('differs', '')}",
            "",
        ]
        lines += [
            "**Settings and seeds.** "
            + "; ".join(f"{s['label']}: seeds {', '.join(map(str, s['seeds']))}" for s in st["settings"])
            if st["settings"]
            else "**Settings and seeds.** no record yet.",
            "",
        ]
        if st["summary"]:
            lines += render._md_table(
                ["setting", "curve", "seeds", "first (mean)", "last (mean)", "log10(last/first) [min, max]"],
                _summary_rows(st),
            ) + [""]
        lines += [f"![{f}]({f})" for f in st["figures"]] + ([""] if st["figures"] else [])
        lines += [f"**Measured result.** {st.get('result', '')}", "", f"**Reproduced?** {st.get('reproduced', '')}", ""]
        cmds = [c for s in st["settings"] for c in s["commands"]]
        if cmds:
            lines += ["Reproducing it:", "", "```bash", *sorted(set(cmds)), "```", ""]
    for link in board["links"]:
        lines += [f"## {link['title']}", "", link["text"], ""]

        def cell(c: dict) -> str:
            return "n/a" if c["mean"] is None else f"{_g(c['mean'])} [{_g(c['lo'])}, {_g(c['hi'])}]"

        lines += render._md_table(
            ["row", "seeds"] + link["metrics"],
            [
                [r["label"], str(r["seeds"])] + [cell(r["cells"][m]) for m in link["metrics"]]
                for r in link["linked_rows"]
            ],
        ) + [""]
        lines += [
            f"Read from [{link['board']}/board.json]({link['board']}/README.md) at build time: mean over "
            "training seeds [95% interval], as that board shows them.",
            "",
        ]
    lines += ["## Records", ""] + [f"- `{r['record']}` sha256 {r['sha256'][:16]}..." for r in board["records"]]
    return "\n".join(lines) + "\n"


def csv_text(board: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = ["from", "to", "first_mean", "last_mean", "log10_change_mean", "log10_change_min", "log10_change_max"]
    w.writerow(["study", "setting", "curve", "profile", "seeds"] + keys + ["records"])
    for st in board["studies"]:
        recs = {s["label"]: " ".join(r["record"] for r in s["records"]) for s in st["settings"]}
        for r in st["summary"]:
            w.writerow(
                [st["name"], r["setting"], r["curve"], r["profile"], r["seeds"]]
                + ["" if r[k] is None else repr(r[k]) for k in keys]
                + [recs[r["setting"]]]
            )
    return buf.getvalue()
