"""One trace laid out as a waterfall: rows in tree order, bar positions, flags, logs.

The model behind both the terminal view and the HTML page (neither imports the other); it
reads decoded OTLP/JSON (``obskit.view._otlp_json``), so it works on any Collector file-exporter
output, not only the demo's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from obskit import _semconv_names as sc
from obskit.view._otlp_json import LinkRecord, LogRecord, SpanRecord, TelemetryFile

__all__ = ["LATE_AFTER_SECONDS", "Row", "Waterfall", "format_duration", "pick_trace", "waterfall"]

#: message age from which a consumer span is called late
LATE_AFTER_SECONDS = 30.0
KIND_SHORT = {
    "SERVER": "SRV", "CLIENT": "CLI", "PRODUCER": "PROD", "CONSUMER": "CONS", "INTERNAL": "INT",
    "UNSPECIFIED": "?",
}  # fmt: skip


@dataclass(frozen=True)
class Row:
    depth: int
    span: SpanRecord
    offset: float  # start, as a fraction of the trace's duration
    width: float  # duration, as a fraction of the trace's duration
    flags: tuple[str, ...]
    outcome: str
    logs: tuple[LogRecord, ...]
    links: tuple[tuple[LinkRecord, SpanRecord | None], ...]
    note: str = ""  # the error or business message, when there is one

    @property
    def kind_short(self) -> str:
        return KIND_SHORT.get(self.span.kind_name, self.span.kind_name[:4])


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    start_unix_nano: int
    duration_nano: int
    rows: tuple[Row, ...]
    services: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.span.is_error)


def format_duration(nanos: int) -> str:
    if nanos < 1_000_000:
        return f"{nanos / 1000:.0f}µs"
    if nanos < 1_000_000_000:
        return f"{nanos / 1e6:.1f}ms"
    return f"{nanos / 1e9:.2f}s"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def flags(span: SpanRecord) -> tuple[str, ...]:
    """What is worth a look on a span: retries, late or reordered messages, duplicates."""
    attrs = span.attributes
    found: list[str] = []
    attempt = _number(attrs.get(sc.OBSKIT_MESSAGE_ATTEMPT))
    if attrs.get(sc.OBSKIT_MESSAGE_REDELIVERED) is True or (attempt or 0) > 1:
        found.append(f"retry #{int(attempt or 2)}")
    age = _number(attrs.get(sc.OBSKIT_MESSAGE_AGE))
    if age is not None and age >= LATE_AFTER_SECONDS:
        found.append(f"late {age:.0f}s")
    if attrs.get(sc.OBSKIT_MESSAGE_OUT_OF_ORDER) is True:
        found.append("out of order")
    if attrs.get(sc.OBSKIT_MESSAGE_DUPLICATE) is True:
        found.append("duplicate")
    if attrs.get(sc.OBSKIT_MESSAGE_CLOCK_SKEW) is True:
        found.append("clock skew")
    return tuple(found)


def outcome(span: SpanRecord) -> str:
    kind = span.attributes.get(sc.OBSKIT_OUTCOME) or span.attributes.get(sc.OBSKIT_ERROR_KIND)
    if span.is_error:
        return f"ERROR {kind}" if isinstance(kind, str) else "ERROR"
    if isinstance(kind, str):
        return kind
    return "ok"


def _note(span: SpanRecord) -> str:
    if span.status_message:
        return span.status_message
    for event in span.events:
        if event.name == "exception":
            kind = span.attributes.get(sc.OBSKIT_OUTCOME)
            message = str(event.attributes.get("exception.message", ""))
            return f"{kind}: {message}" if isinstance(kind, str) else message
    return ""


def score(spans: Sequence[SpanRecord]) -> int:
    """How much a trace has to show: errors, retries, business outcomes, odd messages."""
    total = 0
    for span in spans:
        total += 3 if span.is_error else 0
        total += 2 * len(flags(span))
        total += 1 if span.attributes.get(sc.OBSKIT_OUTCOME) == "business" else 0
    return total


def pick_trace(telemetry: TelemetryFile, wanted: str | None = None) -> str | None:
    """The trace id ``wanted`` starts with, or (when None) the one with the most to show."""
    ids = telemetry.trace_ids()
    if wanted:
        matches = [t for t in ids if t.startswith(wanted.lower())]
        return matches[0] if len(matches) == 1 else None
    if not ids:
        return None
    return max(ids, key=lambda t: (score(telemetry.trace(t)), -ids.index(t)))


def waterfall(telemetry: TelemetryFile, trace_id: str) -> Waterfall:
    spans = telemetry.trace(trace_id)
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list[SpanRecord]] = {}
    roots: list[SpanRecord] = []
    for span in spans:
        if span.parent_span_id and span.parent_span_id in by_id:
            children.setdefault(span.parent_span_id, []).append(span)
        else:
            roots.append(span)
    start = min((s.start_unix_nano for s in spans), default=0)
    end = max((s.end_unix_nano for s in spans), default=0)
    total = max(end - start, 1)
    everything = {s.span_id: s for s in telemetry.spans}
    rows: list[Row] = []

    def row(span: SpanRecord, depth: int) -> Row:
        return Row(
            depth=depth,
            span=span,
            offset=(span.start_unix_nano - start) / total,
            width=span.duration_nano / total,
            flags=flags(span),
            outcome=outcome(span),
            logs=tuple(telemetry.logs_for(span.span_id)),
            links=tuple((link, everything.get(link.span_id)) for link in span.links),
            note=_note(span),
        )

    def by_start(group: Sequence[SpanRecord]) -> list[SpanRecord]:
        return sorted(group, key=lambda s: s.start_unix_nano)

    # Depth-first with an explicit stack (a deep trace cannot exhaust the recursion limit);
    # spans caught in a parent loop are never reached from a root, so they start trees too.
    seen: set[str] = set()
    pending = by_start(roots)
    while pending:
        stack = [(pending.pop(0), 0)]
        while stack:
            span, depth = stack.pop()
            if span.span_id in seen:
                continue
            seen.add(span.span_id)
            rows.append(row(span, depth))
            kids = by_start(children.get(span.span_id, []))
            stack.extend((child, depth + 1) for child in reversed(kids))
        if not pending:
            pending = by_start([s for s in spans if s.span_id not in seen])
    services = tuple(dict.fromkeys(row.span.service for row in rows))
    return Waterfall(trace_id, start, end - start, tuple(rows), services)
