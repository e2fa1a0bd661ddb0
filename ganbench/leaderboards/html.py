"""index.html of a board: one self-contained page (inline CSS and JS, figures as base64 PNG, no network),
with a table sortable by any column, each row's protocol and records one click away, reported rows told
apart, and the set-aside table."""

from __future__ import annotations

import base64
import html
import json
from typing import Any, Dict, Optional

from .render import REPORTED_PROTOCOL_HEAD, cell_text, metric_head, num, reported_protocol_cells

CSS = """body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:.9em;vertical-align:top}
th{background:#f4f4f4;cursor:pointer}th.sorted-asc:after{content:" \\25B2"}th.sorted-desc:after{content:" \\25BC"}
tr.reported td{background:#f7f7f7;color:#555}span.badge{font-size:.75em;padding:1px 5px;border-radius:3px;
background:#ddd;margin-left:4px}span.flag{background:#ffd9a8}img{max-width:100%;display:block;margin:8px 0}
details pre{white-space:pre-wrap;font-size:.8em;background:#fafafa;padding:6px}.note{color:#666;font-size:.9em}"""

JS = r"""function sortBy(th){const t=th.closest('table'),i=[...th.parentNode.children].indexOf(th);
const asc=!th.classList.contains('sorted-asc');t.querySelectorAll('th').forEach(h=>h.classList.remove('sorted-asc','sorted-desc'));
th.classList.add(asc?'sorted-asc':'sorted-desc');const rows=[...t.tBodies[0].rows];
const key=r=>{const c=r.cells[i];const v=c.dataset.v;return v===undefined||v===''?NaN:parseFloat(v)};
const grp=r=>t.classList.contains('grouped')?+r.dataset.g:0;
rows.sort((a,b)=>{if(grp(a)!==grp(b))return grp(a)-grp(b);const x=key(a),y=key(b);if(isNaN(x)&&isNaN(y)){return a.cells[i].textContent.localeCompare(b.cells[i].textContent)*(asc?1:-1)}
if(isNaN(x))return 1;if(isNaN(y))return -1;return (x-y)*(asc?1:-1)});rows.forEach(r=>t.tBodies[0].appendChild(r))}
document.querySelectorAll('table.sortable th').forEach(th=>th.addEventListener('click',()=>sortBy(th)));
window.addEventListener('load',()=>{const im=[...document.images];
document.body.setAttribute('data-images-decoded',im.filter(i=>i.complete&&i.naturalWidth>0).length+'/'+im.length);
const m=location.hash.match(/^#sort=(\d+)(-desc)?$/);if(m){const th=document.querySelectorAll('#board th')[+m[1]];
sortBy(th);if(m[2])sortBy(th)}});"""


def _e(s: object) -> str:
    return html.escape(str(s))


def _num_attr(x: Optional[float]) -> str:
    return "" if x is None else repr(float(x))


def _details(summary: str, obj: Any) -> str:  # any JSON value
    return (
        f"<details><summary>{_e(summary)}</summary><pre>{_e(json.dumps(obj, indent=1, sort_keys=True))}</pre></details>"
    )


def _unofficial(board: dict) -> str:
    if not board.get("unofficial"):
        return ""
    ms = ", ".join(board["unofficial"])
    return (
        f'<p class="note"><b>{_e(ms)}: NOT the official weights</b> (offline, the LPIPS backbone is randomly '
        f"initialised; each record says so): compare these rows with each other, never with published {_e(ms)} "
        f"numbers.</p>\n"
    )


def page(board: dict, figures: Dict[str, bytes]) -> str:
    ms = board["metrics"]
    paired = "tasks" in board  # rows grouped by task (a click sorts within each), kind: task and role
    task_index = {t["name"]: i for i, t in enumerate(board.get("tasks", []))}
    head = "".join(
        f"<th>{_e(h)}</th>"
        for h in ["setting", "task: role" if paired else "kind", "seeds", "checkpoint"]
        + [metric_head(board, m) for m in ms]
        + ["protocol and records"]
    )
    body = []
    for r in board["rows"]:
        if paired:
            cells = "".join(
                f'<td data-v="{_num_attr((r["cells"].get(m) or {}).get("mean"))}">'
                f"{_e(cell_text(r['cells'].get(m)))}</td>"
                for m in ms
            )
            info = _details("protocol", r["protocol"]) + _details(f"{len(r['records'])} records", r["records"])
            body.append(
                f'<tr class="reproduced" data-g="{task_index.get(r.get("task"), -1)}"><td>{_e(r["label"])}</td>'
                f'<td>{_e(r.get("task"))}: {_e(r.get("role"))}</td><td data-v="{len(r["seeds"])}">{len(r["seeds"])}'
                f"</td><td>{_e(r['selection'])}</td>{cells}<td>{info}</td></tr>"
            )
            continue
        flag = '<span class="badge flag">selected on the reference</span>' if r["flagged"] else ""
        cells = "".join(
            f'<td data-v="{_num_attr((r["cells"].get(m) or {}).get("mean"))}">{_e(cell_text(r["cells"].get(m)))}</td>'
            for m in ms
        )
        info = _details("protocol", r["protocol"]) + _details(f"{len(r['records'])} records", r["records"])
        body.append(
            f'<tr class="reproduced"><td>{_e(r["label"])}{flag}</td><td>reproduced</td>'
            f'<td data-v="{len(r["seeds"])}">{len(r["seeds"])}</td><td>{_e(r["selection"])}</td>{cells}'
            f"<td>{info}</td></tr>"
        )
    groups: Dict[str, int] = {}
    rep = []  # reported rows: their own table, sorted within their protocol group
    for r in board["reported"]:
        g = groups.setdefault(r["group"], len(groups))
        cells = "".join(
            f'<td data-v="{_num_attr(r["metrics"].get(m))}">'
            f"{_e(num(r['metrics'][m])) if m in r['metrics'] else ''}</td>"
            for m in ms
        )
        proto = "".join(
            f'<td data-v="{r[k] if isinstance(r[k], int) else ""}">{_e(c)}</td>'
            for k, c in zip(("n_generated", "n_real", "split", "inception", "loss"), reported_protocol_cells(r))
        )
        info = _details(
            "notes and source", {k: r[k] for k in ("protocol", "citation", "kind", "conditional", "checked")}
        )
        rep.append(
            f'<tr class="reported" data-g="{g}"><td>{_e(r["label"])}<span class="badge">{_e(r["kind"])}</span></td>'
            f"{proto}{cells}<td>{info}</td></tr>"
        )
    notes = ("<h2>Notes</h2>" + "".join(f"<p>{_e(n)}</p>" for n in board["notes"])) if board.get("notes") else ""
    rep_head = "".join(f"<th>{_e(h)}</th>" for h in ["model", *REPORTED_PROTOCOL_HEAD, *ms, "notes and source"])
    reported = (
        (
            f'<h2>Reported</h2><p class="note">From papers and reference implementations, never averaged with ours. '
            f"Grouped by protocol (N generated, N real, split, Inception port): a click sorts within each group; "
            f'numbers from different groups do not compare.</p><table class="sortable grouped" id="reported">'
            f"<thead><tr>{rep_head}</tr></thead><tbody>{''.join(rep)}</tbody></table>"
        )
        if rep
        else ""
    )
    aside = (
        "".join(
            f"<tr><td>{_e(s['record'])}</td><td>{_e(s['label'])}</td><td>{_e(s['reason'])}</td></tr>"
            for s in board["set_aside"]
        )
        or '<tr><td colspan="3">none</td></tr>'
    )
    figs = "".join(
        f'<h3>{_e(name)}</h3><img alt="{_e(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for name, png in figures.items()
    )
    cmds = "".join(
        f"<details><summary>{_e(c['label'])}</summary><pre>{_e(chr(10).join(c['commands']))}</pre></details>"
        for c in board.get("commands", [])
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(board["title"])}</title><style>{CSS}</style></head>
<body><h1>{_e(board["title"])}</h1><p>{_e(board["description"])}</p>
<p class="note">Generated by <code>ganbench leaderboard build</code> from the records; click a column to sort.
Each cell: mean [95% interval] across training seeds; (eval): one training seed, the evaluation interval.
Reported rows (grey, their own table below) come from papers and reference implementations and are never
averaged with ours.</p>
<h2>Leaderboard</h2><p class="note">Protocol: {_e(board["protocol_text"])}. {board["set_aside_count"]} record(s) set aside.</p>
{_unofficial(board)}<table class="{"sortable grouped" if paired else "sortable"}" id="board"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>
{notes}{reported}
{"<h2>Reproducing a row</h2>" + cmds if cmds else ""}
<h2>Set aside</h2><table id="set-aside"><thead><tr><th>record</th><th>setting</th><th>reason</th></tr></thead><tbody>{aside}</tbody></table>
<h2>Figures</h2>{figs}
<script>{JS}</script></body></html>
"""
