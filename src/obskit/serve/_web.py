"""The explorer's HTTP side: the JSON API and the pages, on one port.

``GET /api/traces`` (search), ``/api/traces/{id}``, ``/api/services``, ``/api/graph``,
``/api/timeline`` and ``/api/stats``; the pages ``/``, ``/trace/{id}``, ``/graph`` and
``/timeline`` render the same answers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from obskit.serve._analysis import service_graph, timeline
from obskit.serve._pages import graph_page, timeline_page, trace_list_page
from obskit.serve._store import Search, Store
from obskit.view._html import render_html
from obskit.view._otlp_json import LogRecord, SpanRecord, TelemetryFile
from obskit.view._select import parse_where
from obskit.view._waterfall import waterfall

__all__ = ["QueryError", "parse_search", "web_handler"]

_TRACE_ID: Final = re.compile(r"^[0-9a-fA-F]{32}$")
GRAPH_TRACES: Final = 1000  # the service graph covers the newest traces
_AGES: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class QueryError(ValueError):
    """A bad query parameter: answered with 400 and the reason."""


def _instant(text: str) -> int:
    """Nanoseconds from unix seconds, an ISO 8601 time, or an age such as ``15m`` (ago)."""
    text = text.strip()
    try:
        if text and text[-1] in _AGES and text[:-1].replace(".", "", 1).isdigit():
            return time.time_ns() - int(float(text[:-1]) * _AGES[text[-1]] * 1e9)
        if text.replace(".", "", 1).isdigit():
            return int(float(text) * 1e9)
        return int(datetime.fromisoformat(text).timestamp() * 1e9)
    except ValueError:
        raise QueryError(
            f"not a time: {text!r} (unix seconds, ISO 8601, or 15m / 2h ago)"
        ) from None


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise QueryError(f"{name} must be a number, not {text!r}") from None


def parse_search(query: Mapping[str, Sequence[str]]) -> Search:
    """The ``/api/traces`` parameters as a :class:`Search` (raises :class:`QueryError`)."""

    def one(name: str) -> str | None:
        values = [v for v in query.get(name, []) if v.strip()]
        return values[-1].strip() if values else None

    try:
        where = parse_where([item for item in query.get("where", []) if item.strip()])
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    error = one("error")
    if error not in (None, "true", "false"):
        raise QueryError(f"error must be true or false, not {error!r}")
    limit = one("limit")
    minimum = one("min_duration_ms")
    since, until = one("since"), one("until")
    return Search(
        service=one("service"),
        operation=one("operation"),
        where=where,
        error=None if error is None else error == "true",
        min_duration_ms=None if minimum is None else _number(minimum, "min_duration_ms"),
        since_ns=None if since is None else _instant(since),
        until_ns=None if until is None else _instant(until),
        limit=20 if limit is None else max(1, min(int(_number(limit, "limit")), 10_000)),
    )


def _span_json(span: SpanRecord, logs: list[LogRecord]) -> dict[str, Any]:
    return {
        "trace_id": span.trace_id, "span_id": span.span_id,
        "parent_span_id": span.parent_span_id or None, "name": span.name,
        "kind": span.kind_name, "service": span.service,
        "start_unix_nano": span.start_unix_nano, "end_unix_nano": span.end_unix_nano,
        "duration_ms": span.duration_nano / 1e6,
        "status": {"code": span.status_name, "message": span.status_message},
        "attributes": span.attributes, "resource": span.resource, "scope": span.scope,
        "events": [
            {"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": e.attributes}
            for e in span.events
        ],
        "links": [
            {"trace_id": k.trace_id, "span_id": k.span_id, "attributes": k.attributes}
            for k in span.links
        ],
        "logs": [_log_json(r) for r in logs],
    }  # fmt: skip


def _log_json(record: LogRecord) -> dict[str, Any]:
    return {
        "time_unix_nano": record.time_unix_nano, "severity": record.severity_text,
        "body": record.body, "service": record.service, "trace_id": record.trace_id,
        "span_id": record.span_id or None, "attributes": record.attributes,
    }  # fmt: skip


def trace_json(telemetry: TelemetryFile, trace_id: str) -> dict[str, Any]:
    spans = sorted(telemetry.trace(trace_id), key=lambda s: (s.start_unix_nano, s.span_id))
    return {
        "trace_id": trace_id,
        "spans": [_span_json(s, telemetry.logs_for(s.span_id)) for s in spans],
        "logs": [_log_json(r) for r in telemetry.logs if r.trace_id == trace_id],
    }


def web_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    """The request handler class for the UI and API port."""

    class WebHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the UI polls nothing, but a terminal full of GETs helps no one."""

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _json(self, value: object, status: int = 200) -> None:
            self._send(status, json.dumps(value, default=str), "application/json")

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            try:
                self._route(url.path.rstrip("/") or "/", query)
            except QueryError as exc:
                self._json({"error": str(exc)}, 400)

        def _route(self, path: str, query: dict[str, list[str]]) -> None:
            api = path.startswith("/api/")
            name = path.removeprefix("/api")
            if name == "/traces" and api:
                self._json({"traces": [t.as_json() for t in store.search(parse_search(query))]})
            elif name.startswith("/trace") and name.count("/") == 2:
                self._trace(name.rsplit("/", 1)[1], api)
            elif path == "/api/services":
                self._json(
                    {
                        "services": [
                            {"service": s, "operations": o} for s, o in store.services().items()
                        ]
                    }
                )
            elif path == "/api/stats":
                self._json(store.stats())
            elif name == "/graph":
                count = len(ids := list(store.recent(GRAPH_TRACES)))
                edges = service_graph(store.telemetry(ids))
                if api:
                    self._json({"traces": count, "edges": [e.as_json() for e in edges]})
                else:
                    self._send(200, graph_page(edges, count), "text/html")
            elif name == "/timeline":
                self._timeline(query, api)
            elif path == "/":
                search = parse_search(query)
                page = trace_list_page(query, store.search(search), store.services(), store.stats())
                self._send(200, page, "text/html")
            else:
                self._json({"error": f"no such page {path}"}, 404)

        def _trace(self, trace_id: str, api: bool) -> None:
            telemetry = store.telemetry([trace_id.lower()]) if _TRACE_ID.match(trace_id) else None
            if not telemetry or not telemetry.spans:
                self._json({"error": f"no trace {trace_id}"}, 404)
            elif api:
                self._json(trace_json(telemetry, trace_id.lower()))
            else:
                chart = waterfall(telemetry, trace_id.lower())
                links = [
                    ("/", "all traces"),
                    ("/graph", "service graph"),
                    ("/timeline", "timeline"),
                ]
                self._send(200, render_html(chart, links=links), "text/html")

        def _timeline(self, query: dict[str, list[str]], api: bool) -> None:
            key = (query.get("key") or [""])[0].strip()
            value = (query.get("value") or [""])[0].strip()
            moments = []
            if key and value:
                ids = [t.trace_id for t in store.search(Search(where=((key, value),), limit=500))]
                moments = timeline(store.telemetry(ids), key, value)
            if api:
                self._json({"key": key, "value": value, "moments": [m.as_json() for m in moments]})
            else:
                self._send(200, timeline_page(key, value, moments), "text/html")

    return WebHandler
