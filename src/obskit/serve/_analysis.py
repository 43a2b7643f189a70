"""What only a message-aware explorer shows: the service graph and the message timeline.

Both are plain functions over decoded records (the store hands them a set of traces), so the
pages, the JSON API and the tests read the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from obskit.view._otlp_json import SpanRecord, TelemetryFile
from obskit.view._select import searchable

__all__ = ["Edge", "Moment", "service_graph", "timeline"]

_PRODUCER: Final = 4
_CONSUMER: Final = 5
DESTINATION: Final = "messaging.destination.name"
MESSAGE_ID: Final = "messaging.message.id"
SEQUENCE_KEY: Final = "obskit.message.sequence_key"
SEQUENCE: Final = "obskit.message.sequence"
OVERTAKEN_BY: Final = "obskit.message.overtaken_by"


@dataclass
class Edge:
    """Calls from one service to another (parent/child) or messages linked across traces."""

    source: str
    target: str
    via: str  # "parent" or "link"
    calls: int = 0
    messages: int = 0
    errors: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source, "target": self.target, "via": self.via,
            "calls": self.calls, "messages": self.messages, "errors": self.errors,
        }  # fmt: skip


def service_graph(telemetry: TelemetryFile) -> list[Edge]:
    """Edges between services, counted from each span's parent and each link's target."""
    by_id = {s.span_id: s for s in telemetry.spans}
    edges: dict[tuple[str, str, str], Edge] = {}

    def count(source: SpanRecord, child: SpanRecord, via: str) -> None:
        if source.service == child.service and via == "parent":
            return
        edge = edges.setdefault(
            (source.service, child.service, via), Edge(source.service, child.service, via)
        )
        edge.calls += 1
        edge.messages += child.kind == _CONSUMER
        edge.errors += child.is_error

    for span in telemetry.spans:
        parent = by_id.get(span.parent_span_id)
        if parent is not None:
            count(parent, span, "parent")
        for link in span.links:
            target = by_id.get(link.span_id)
            if target is not None and target is not parent:
                count(target, span, "link")
    return sorted(edges.values(), key=lambda e: (e.source, e.target, e.via))


@dataclass
class Moment:
    """One send or process on the timeline, with what was unusual about it."""

    span: SpanRecord
    operation: str  # "send" or "process"
    marks: list[str] = field(default_factory=list)
    #: span id of the message that overtook this one (out-of-order arrivals)
    overtaken_by: str = ""
    overlaps: list[str] = field(default_factory=list)  # span ids of handlers running at once

    def as_json(self) -> dict[str, object]:
        span = self.span
        return {
            "trace_id": span.trace_id, "span_id": span.span_id, "name": span.name,
            "service": span.service, "operation": self.operation,
            "destination": span.attributes.get(DESTINATION),
            "message_id": span.attributes.get(MESSAGE_ID),
            "start_unix_nano": span.start_unix_nano, "end_unix_nano": span.end_unix_nano,
            "marks": self.marks, "overtaken_by": self.overtaken_by or None,
            "overlaps": self.overlaps,
        }  # fmt: skip


def _belongs(span: SpanRecord, key: str, value: str) -> bool:
    """A span carrying ``key`` must carry ``value``; one without it belongs by its trace."""
    if span.kind not in (_PRODUCER, _CONSUMER):
        return False
    own = span.attributes.get(key, span.resource.get(key))
    return own is None or searchable(own) == value


def timeline(telemetry: TelemetryFile, key: str, value: str) -> list[Moment]:
    """Every send and process of the matching traces, in time order, marked.

    The traces are those where some span or resource has ``key=value``; within them, a span
    with a different value for ``key`` (another destination) is left out.
    """
    moments = [
        Moment(s, "send" if s.kind == _PRODUCER else "process")
        for s in sorted(telemetry.spans, key=lambda s: (s.start_unix_nano, s.span_id))
        if _belongs(s, key, value)
    ]
    processes = [m for m in moments if m.operation == "process"]
    _mark_repeats(processes)
    _mark_out_of_order(processes)
    _mark_overlaps(processes)
    return moments


def _mark_repeats(processes: Sequence[Moment]) -> None:
    seen: set[tuple[str, object, object]] = set()
    for moment in processes:
        attributes = moment.span.attributes
        if (
            attributes.get("obskit.message.redelivered") is True
            or _int(attributes.get("obskit.message.attempt")) > 1
        ):
            moment.marks.append("redelivered")
        message_id = attributes.get(MESSAGE_ID)
        if message_id is None:
            continue
        identity = (moment.span.service, attributes.get(DESTINATION), message_id)
        repeated = identity in seen or attributes.get("obskit.message.duplicate") is True
        if repeated and "redelivered" not in moment.marks:
            moment.marks.append("duplicate")
        seen.add(identity)


def _mark_out_of_order(processes: Sequence[Moment]) -> None:
    by_sequence = {
        (m.span.attributes.get(SEQUENCE_KEY), m.span.attributes.get(SEQUENCE)): m
        for m in processes
        if SEQUENCE in m.span.attributes
    }
    for moment in processes:
        attributes = moment.span.attributes
        if attributes.get("obskit.message.out_of_order") is not True:
            continue
        moment.marks.append("out of order")
        overtaker = by_sequence.get((attributes.get(SEQUENCE_KEY), attributes.get(OVERTAKEN_BY)))
        if overtaker is not None:
            moment.overtaken_by = overtaker.span.span_id


def _mark_overlaps(processes: Sequence[Moment]) -> None:
    """Handlers for the same key running at the same time (sorted by start: a sweep)."""
    running: list[Moment] = []
    for moment in processes:
        running = [m for m in running if m.span.end_unix_nano > moment.span.start_unix_nano]
        for other in running:
            other.overlaps.append(moment.span.span_id)
            moment.overlaps.append(other.span.span_id)
        running.append(moment)
    for moment in processes:
        if moment.overlaps:
            moment.marks.append("overlaps")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
