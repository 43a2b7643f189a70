"""``obskit view FILE --html OUT``: the waterfall as one self-contained HTML page.

Inline CSS and JavaScript, no network fetches. Rows and bars are laid out here (bar position
and width as percentages of the trace's duration); the script only shows a span's details
(attributes, events, links, logs) on click. On load it also writes each bar's measured width
into ``<pre id="measured">``, and with ``#selftest`` in the URL it clicks the first span and
copies the details panel into ``<pre id="selftest">``: a headless browser's ``--dump-dom``
then shows what a person would see.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from obskit.view._otlp_json import LogRecord, SpanRecord
from obskit.view._waterfall import Row, Waterfall, format_duration

__all__ = ["render_html"]

_CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{padding:12px 16px;background:#1d2430;color:#fff}header b{font-family:monospace}
header a{color:#9cc3ff}
main{display:flex;gap:12px;padding:12px}
#waterfall{flex:3;min-width:0;background:#fff;border:1px solid #d9dde3;border-radius:6px}
#details{flex:2;min-width:0;background:#fff;border:1px solid #d9dde3;border-radius:6px;
padding:10px;white-space:pre-wrap;font-family:monospace;font-size:12px;overflow:auto;
max-height:90vh}
.row{display:grid;grid-template-columns:minmax(0,30%) 90px 46px minmax(0,1fr) 70px 110px;
gap:6px;align-items:center;padding:3px 8px;cursor:pointer;border-top:1px solid #eef0f3}
.row:hover,.row.selected{background:#eef4ff}.row.head{cursor:default;font-weight:600;
background:#fafbfc}.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.error .name{color:#c62828;font-weight:600}.svc{font-size:11px;border-radius:3px;
padding:0 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.kind,.dur{font-family:monospace;font-size:11px;color:#5b6573}.dur{text-align:right}
.track{position:relative;height:12px;background:#f0f2f5;border-radius:2px}
.bar{position:absolute;top:0;height:12px;min-width:1px;background:#2e7d32;border-radius:2px}
.flagged .bar{background:#ef8f00}.error .bar{background:#c62828}
.outcome{font-size:11px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.error .outcome{color:#c62828}.flagged .outcome{color:#b26a00}
.logs{padding:0 8px 4px;font-family:monospace;font-size:11px;color:#5b6573}
.logs div{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sev-WARN,.sev-WARNING{color:#b26a00}.sev-ERROR{color:#c62828}
#measured,#selftest{display:none}
"""

_JS = """
(function(){
  var spans = JSON.parse(document.getElementById('span-data').textContent);
  var panel = document.getElementById('details');
  function show(id){
    var s = spans[id]; if(!s){return;}
    document.querySelectorAll('.row.selected').forEach(function(r){r.classList.remove('selected');});
    var row = document.querySelector('.row[data-span-id="'+id+'"]');
    if(row){row.classList.add('selected');}
    var out = [s.name + '  [' + s.kind + ']  ' + s.service, 'span ' + id + '  ' + s.duration,
               'status ' + s.status + (s.status_message ? ': ' + s.status_message : ''), '',
               'attributes:'];
    Object.keys(s.attributes).sort().forEach(function(k){
      out.push('  ' + k + ' = ' + JSON.stringify(s.attributes[k]));});
    if(s.events.length){out.push('', 'events:');
      s.events.forEach(function(e){out.push('  ' + e.name + ' ' + JSON.stringify(e.attributes));});}
    if(s.links.length){out.push('', 'links:');
      s.links.forEach(function(l){out.push('  -> ' + l.target + ' (span ' + l.span_id + ')');});}
    if(s.logs.length){out.push('', 'logs:');
      s.logs.forEach(function(l){out.push('  ' + l);});}
    panel.textContent = out.join('\\n');
  }
  document.querySelectorAll('.row[data-span-id]').forEach(function(row){
    row.addEventListener('click', function(){show(row.getAttribute('data-span-id'));});
  });
  var measured = [];
  document.querySelectorAll('.row[data-span-id]').forEach(function(row){
    var bar = row.querySelector('.bar'), track = row.querySelector('.track');
    measured.push({span_id: row.getAttribute('data-span-id'),
      duration_ns: Number(row.getAttribute('data-duration-ns')),
      bar: bar.getBoundingClientRect().width, track: track.getBoundingClientRect().width,
      left: bar.getBoundingClientRect().left - track.getBoundingClientRect().left});
  });
  var total = Number(document.body.getAttribute('data-trace-duration-ns'));
  document.getElementById('measured').textContent = JSON.stringify(
    {trace_duration_ns: total, bars: measured});
  if(location.hash === '#selftest'){
    var first = document.querySelector('.row[data-span-id]');
    if(first){first.click();}
    document.getElementById('selftest').textContent = panel.textContent;
  }
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _log_text(log: LogRecord) -> str:
    fields = " ".join(f"{k}={v}" for k, v in log.attributes.items() if k != "service.name")
    return f"{log.severity_text or 'INFO'} {log.body} {fields}".strip()


def _span_data(row: Row, spans: dict[str, SpanRecord]) -> dict[str, Any]:
    span = row.span
    return {
        "name": span.name,
        "kind": span.kind_name,
        "service": span.service,
        "duration": format_duration(span.duration_nano),
        "status": span.status_name,
        "status_message": span.status_message,
        "attributes": span.attributes,
        "events": [{"name": e.name, "attributes": e.attributes} for e in span.events],
        "links": [
            {
                "span_id": link.span_id,
                "target": f"{target.name} ({target.service})" if target else link.trace_id,
            }
            for link, target in row.links
        ],
        "logs": [_log_text(log) for log in row.logs],
    }


def _service_color(index: int) -> str:
    return f"hsl({(index * 137) % 360},60%,88%)"


def _row_html(row: Row, colors: dict[str, str]) -> str:
    span = row.span
    classes = ["row"]
    if span.is_error:
        classes.append("error")
    elif row.flags or row.outcome != "ok":
        classes.append("flagged")
    outcome = ", ".join((row.outcome, *row.flags))
    indent = row.depth * 14
    logs = "".join(
        f'<div class="sev-{_e(log.severity_text)}">{_e(_log_text(log))}</div>' for log in row.logs
    )
    links = "".join(
        f"<div>&#8627; link &#8594; {_e(target.name if target else link.span_id)}</div>"
        for link, target in row.links
    )
    note = f"<div>&#9873; {_e(row.note)}</div>" if row.note else ""
    extra = f'<div class="logs" style="padding-left:{indent + 8}px">{note}{links}{logs}</div>'
    return (
        f'<div class="{" ".join(classes)}" data-span-id="{_e(span.span_id)}" '
        f'id="s-{_e(span.span_id)}" '
        f'data-duration-ns="{span.duration_nano}" title="{_e(span.name)}">'
        f'<span class="name" style="padding-left:{indent}px">{_e(span.name)}</span>'
        f'<span class="svc" style="background:{colors[span.service]}">{_e(span.service)}</span>'
        f'<span class="kind">{_e(row.kind_short)}</span>'
        f'<span class="track"><span class="bar" style="left:{row.offset * 100:.4f}%;'
        f'width:{row.width * 100:.4f}%"></span></span>'
        f'<span class="dur">{_e(format_duration(span.duration_nano))}</span>'
        f'<span class="outcome">{_e(outcome)}</span></div>{extra}'
    )


def render_html(
    waterfall: Waterfall,
    *,
    other_traces: list[str] | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """The page for one trace (``other_traces`` are listed, by id, beneath it).

    ``links`` are ``(href, label)`` pairs for the header (``obskit serve`` links its own pages).
    """
    colors = {s: _service_color(i) for i, s in enumerate(waterfall.services)}
    spans = {row.span.span_id: row.span for row in waterfall.rows}
    data = {row.span.span_id: _span_data(row, spans) for row in waterfall.rows}
    # JSON inside <script>: escape <, > and & so no value can open a comment or close the block
    payload = (
        json.dumps(data, default=str)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    rows = "".join(_row_html(row, colors) for row in waterfall.rows)
    others = "".join(f"<li><code>{_e(t)}</code></li>" for t in other_traces or [])
    duration = format_duration(waterfall.duration_nano)
    nav = "".join(f' · <a href="{_e(href)}">{_e(label)}</a>' for href, label in links)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>trace {_e(waterfall.trace_id)} · obskit</title><style>{_CSS}</style></head>
<body data-trace-duration-ns="{waterfall.duration_nano}">
<header>trace <b>{_e(waterfall.trace_id)}</b> · {len(waterfall.rows)} spans ·
{len(waterfall.services)} services ({_e(", ".join(waterfall.services))}) · {_e(duration)}
{f" · {waterfall.errors} error(s)" if waterfall.errors else ""}{nav}</header>
<main><section id="waterfall">
<div class="row head"><span>span</span><span>service</span><span>kind</span>
<span>0 &#8594; {_e(duration)}</span><span class="dur">duration</span><span>outcome</span></div>
{rows}</section>
<aside id="details">Click a span to see its attributes, events, links and logs.</aside></main>
{f"<footer style='padding:0 16px 16px'>other traces:<ul>{others}</ul></footer>" if others else ""}
<pre id="measured"></pre><pre id="selftest"></pre>
<script type="application/json" id="span-data">{payload}</script>
<script>{_JS}</script>
</body></html>
"""
