"""The explorer's own pages: the trace list, the service graph and the message timeline.

Server-rendered HTML with inline CSS and no scripts to fetch: a page works from a saved file
and never reaches the network. The trace page itself is ``obskit view --html``'s rendering.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence

from obskit.serve._analysis import Edge, Moment
from obskit.serve._store import TraceSummary
from obskit.view._waterfall import format_duration

__all__ = ["graph_page", "timeline_page", "trace_list_page"]

NAV = (("/", "traces"), ("/graph", "service graph"), ("/timeline", "message timeline"))
_CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{padding:10px 16px;background:#1d2430;color:#fff}header a{color:#9cc3ff;margin-right:14px}
main{padding:12px 16px}form{display:flex;flex-wrap:wrap;gap:8px;align-items:end;
margin-bottom:12px}label{display:flex;flex-direction:column;font-size:11px;color:#5b6573}
input,select{font:inherit;padding:3px 5px}table{border-collapse:collapse;width:100%;
background:#fff;border:1px solid #d9dde3}th,td{text-align:left;padding:4px 8px;
border-top:1px solid #eef0f3;font-size:12px;vertical-align:top}th{background:#fafbfc}
td.num{text-align:right;font-family:monospace}code,.mono{font-family:monospace}
.err{color:#c62828;font-weight:600}.mark{display:inline-block;border-radius:3px;padding:0 5px;
margin:0 3px 2px 0;font-size:11px;background:#fff3e0;color:#b26a00}
.mark.duplicate,.mark.out-of-order{background:#ffebee;color:#c62828}
.track{position:relative;height:10px;min-width:160px;background:#f0f2f5;border-radius:2px}
.bar{position:absolute;top:0;height:10px;min-width:2px;border-radius:2px;background:#2e7d32}
.send .bar{background:#1565c0}tr:target{background:#fff8e1}.muted{color:#5b6573}
svg text{font-size:12px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str, footer: str = "") -> str:
    nav = "".join(f'<a href="{href}">{label}</a>' for href, label in NAV)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)} · obskit serve</title><style>{_CSS}</style></head>
<body><header><b>obskit serve</b> · {nav}</header><main><h2>{_e(title)}</h2>{body}
<p class="muted">{footer}</p></main></body></html>
"""


def _when(nanos: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(nanos / 1e9))


def _input(name: str, value: str, label: str, size: int = 14) -> str:
    return f'<label>{label}<input name="{name}" value="{_e(value)}" size="{size}"></label>'


def trace_list_page(
    query: Mapping[str, Sequence[str]],
    traces: Sequence[TraceSummary],
    services: Mapping[str, Sequence[str]],
    stats: Mapping[str, int],
) -> str:
    """``/``: the search form and the matching traces, newest first."""

    def first(name: str) -> str:
        return query.get(name, [""])[0]

    service_options = "".join(
        f"<option{' selected' if s == first('service') else ''}>{_e(s)}</option>"
        for s in ["", *services]
    )
    wheres = [*query.get("where", []), ""]
    error = first("error")
    form = (
        f'<form method="get" action="/"><label>service<select name="service">{service_options}'
        f"</select></label>{_input('operation', first('operation'), 'operation')}"
        + "".join(_input("where", w, "where key=value", 24) for w in wheres)
        + '<label>errors<select name="error">'
        + "".join(
            f'<option value="{v}"{" selected" if v == error else ""}>{label}</option>'
            for v, label in (("", "any"), ("true", "with errors"), ("false", "without"))
        )
        + "</select></label>"
        + _input("min_duration_ms", first("min_duration_ms"), "min duration ms", 6)
        + _input("limit", first("limit") or "20", "limit", 4)
        + '<button type="submit">search</button></form>'
    )
    rows = "".join(
        f'<tr class="trace"><td><a href="/trace/{t.trace_id}"><code>{t.trace_id[:16]}</code></a>'
        f"</td><td>{_e(t.root)}</td><td>{_e(', '.join(t.services))}</td>"
        f'<td class="num">{t.span_count}</td><td class="num">{t.duration_ms:.1f} ms</td>'
        f'<td class="num{" err" if t.error_count else ""}">{t.error_count}</td>'
        f"<td>{_when(t.start_unix_nano)}</td></tr>"
        for t in traces
    )
    table = (
        "<table id='traces'><tr><th>trace</th><th>root span</th><th>services</th><th>spans</th>"
        f"<th>duration</th><th>errors</th><th>started</th></tr>{rows}</table>"
        if traces
        else "<p>No traces match.</p>"
    )
    dropped = stats.get("dropped_traces", 0)
    footer = (
        f"{stats.get('traces', 0)} traces, {stats.get('spans', 0)} spans, "
        f"{stats.get('logs', 0)} log records stored; {dropped} traces dropped by --retain"
    )
    return _page("traces", form + table, footer)


def _svg(edges: Sequence[Edge]) -> str:
    """Services on a circle, an arrow per edge labelled with its counts."""
    services = sorted({e.source for e in edges} | {e.target for e in edges})
    if not services:
        return "<p>No edges between services yet.</p>"
    size, radius = 640, 230
    centre = size / 2
    at = {
        s: (
            centre + radius * math.cos(2 * math.pi * i / len(services) - math.pi / 2),
            centre + radius * math.sin(2 * math.pi * i / len(services) - math.pi / 2),
        )
        for i, s in enumerate(services)
    }
    parts = [
        f'<svg id="graph" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0L10,5L0,10z" fill="#5b6573"/></marker></defs>'
    ]
    for edge in edges:
        (x1, y1), (x2, y2) = at[edge.source], at[edge.target]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        dx, dy = (x2 - x1) / length * 50, (y2 - y1) / length * 50
        bend = 14 if edge.via == "link" else 0
        colour = "#c62828" if edge.errors else "#5b6573"
        dash = ' stroke-dasharray="5,4"' if edge.via == "link" else ""
        parts.append(
            f'<line x1="{x1 + dx:.0f}" y1="{y1 + dy + bend:.0f}" x2="{x2 - dx:.0f}" '
            f'y2="{y2 - dy + bend:.0f}" stroke="{colour}" stroke-width="1.5"{dash} '
            'marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 + bend - 4:.0f}" '
            f'text-anchor="middle" fill="{colour}">{_label(edge)}</text>'
        )
    for service, (x, y) in at.items():
        parts.append(
            f'<rect x="{x - 60:.0f}" y="{y - 16:.0f}" width="120" height="32" rx="6" '
            f'fill="#eef4ff" stroke="#1d2430"/><text x="{x:.0f}" y="{y + 4:.0f}" '
            f'text-anchor="middle">{_e(service)}</text>'
        )
    return "".join(parts) + "</svg>"


def _label(edge: Edge) -> str:
    text = f"{edge.calls} {'link' if edge.via == 'link' else 'call'}s"
    if edge.messages:
        text += f" · {edge.messages} msgs"
    if edge.errors:
        text += f" · {edge.errors} errors"
    return _e(text)


def graph_page(edges: Sequence[Edge], traces: int) -> str:
    """``/graph``: who calls or messages whom, over the newest traces."""
    rows = "".join(
        f'<tr class="edge"><td>{_e(e.source)}</td><td>{_e(e.target)}</td><td>{e.via}</td>'
        f'<td class="num">{e.calls}</td><td class="num">{e.messages}</td>'
        f'<td class="num{" err" if e.errors else ""}">{e.errors}</td></tr>'
        for e in edges
    )
    table = (
        "<table id='edges'><tr><th>from</th><th>to</th><th>via</th><th>spans</th>"
        f"<th>messages</th><th>errors</th></tr>{rows}</table>"
    )
    note = f"over the newest {traces} traces; dashed edges are span links (batches, fan-in)"
    return _page("service graph", _svg(edges) + table, note)


def _bar(moment: Moment, start: int, total: int) -> str:
    span = moment.span
    left = (span.start_unix_nano - start) / total * 100
    width = max(span.duration_nano / total * 100, 0.3)
    style = f"left:{left:.3f}%;width:{width:.3f}%"
    return f'<div class="track"><div class="bar" style="{style}"></div></div>'


def _marks(moment: Moment) -> str:
    parts = []
    for mark in moment.marks:
        text = mark
        if mark == "out of order" and moment.overtaken_by:
            text += f' (overtaken by <a href="#m-{moment.overtaken_by}">this message</a>)'
        elif mark == "overlaps":
            text += " " + ", ".join(f'<a href="#m-{s}">{s[:6]}</a>' for s in moment.overlaps)
        parts.append(f'<span class="mark {mark.replace(" ", "-")}">{text}</span>')
    return "".join(parts)


def timeline_page(key: str, value: str, moments: Sequence[Moment]) -> str:
    """``/timeline?key=&value=``: every send and process for one key, in time order."""
    keys = ("app.order.id", "messaging.destination.name")
    form = (
        '<form method="get" action="/timeline"><label>key<input name="key" list="keys" '
        f'value="{_e(key)}" size="28"></label><datalist id="keys">'
        + "".join(f'<option value="{k}">' for k in keys)
        + f"</datalist>{_input('value', value, 'value', 18)}"
        '<button type="submit">show</button></form>'
    )
    if not moments:
        return _page("message timeline", form + ("<p>Nothing matches.</p>" if key else ""))
    start = min(m.span.start_unix_nano for m in moments)
    total = max(max(m.span.end_unix_nano for m in moments) - start, 1)
    rows = "".join(
        f'<tr id="m-{m.span.span_id}" class="{m.operation}" data-marks="{_e(",".join(m.marks))}">'
        f'<td class="num">+{format_duration(m.span.start_unix_nano - start)}</td>'
        f"<td>{m.operation}</td><td>{_e(m.span.service)}</td><td>{_e(m.span.name)}</td>"
        f"<td class='mono'>{_e(m.span.attributes.get('messaging.message.id', ''))}</td>"
        f'<td><a href="/trace/{m.span.trace_id}#s-{m.span.span_id}"><code>'
        f"{m.span.trace_id[:8]}</code></a></td><td>{_bar(m, start, total)}</td>"
        f"<td>{_marks(m)}</td></tr>"
        for m in moments
    )
    table = (
        "<table id='timeline'><tr><th>at</th><th>op</th><th>service</th><th>span</th>"
        f"<th>message id</th><th>trace</th><th>when</th><th>marks</th></tr>{rows}</table>"
    )
    traces = len({m.span.trace_id for m in moments})
    return _page(
        f"message timeline: {key}={value}", form + table,
        f"{len(moments)} sends and processes across {traces} traces",
    )  # fmt: skip
