"""OTLP/JSON: what the OpenTelemetry Collector's file exporter writes, in and out.

Encoding is the runtime's (``obskit._otlp_file``, behind ``configure(exporter="file")``). A
file holds one document per line (``resourceSpans``,
``resourceLogs``, ``resourceMetrics``), as the Collector writes it; a single pretty-printed
document is read too.

One process has one global ``Resource``, so a demo running several "services" in one process
marks each span and log record with a ``service.name`` attribute; :func:`encode_spans` and
:func:`encode_logs` move that attribute up into a resource of its own, so a backend (and
``obskit view``) sees one resource per service.

Decoding turns a file back into small dataclasses (:class:`SpanRecord`, :class:`LogRecord`) for
the viewer and ``obskit check``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from obskit._otlp_file import Document, dumps, log_document, metric_document, span_document

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.metrics.export import MetricsData
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = [
    "SERVICE_ATTRIBUTE",
    "Document",
    "EventRecord",
    "LinkRecord",
    "LogRecord",
    "MetricRecord",
    "SpanRecord",
    "TelemetryFile",
    "any_value",
    "attributes",
    "decode",
    "dumps",
    "encode_logs",
    "encode_metrics",
    "encode_spans",
    "load",
    "loads",
    "write",
]

#: the span / log attribute that names the service when one process plays several
SERVICE_ATTRIBUTE: Final = "service.name"
KIND_NAMES: Final = {
    0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"
}  # fmt: skip
STATUS_NAMES: Final = {0: "UNSET", 1: "OK", 2: "ERROR"}
# protobuf's JSON mapping may spell enums by name; OTLP/JSON requires the numbers
_ENUM_NUMBERS: Final = {
    **{f"SPAN_KIND_{name}": number for number, name in KIND_NAMES.items()},
    **{f"STATUS_CODE_{name}": number for number, name in STATUS_NAMES.items()},
}


# -- encoding ---------------------------------------------------------------------------------


def _split_by_service(resources: list[Document], scopes_key: str, items_key: str) -> None:
    """Give every ``service.name`` carried by an item a resource of its own, in place."""
    result: list[Document] = []
    for resource_block in resources:
        groups: dict[str | None, Document] = {}
        for scope_block in resource_block.get(scopes_key, []):
            for item in scope_block.get(items_key, []):
                service = _pop_service(item)
                group = groups.get(service)
                if group is None:
                    group = copy.deepcopy(
                        {k: v for k, v in resource_block.items() if k != scopes_key}
                    )
                    if service is not None:
                        _set_resource_service(group, service)
                    group[scopes_key] = []
                    groups[service] = group
                scopes: list[Document] = group[scopes_key]
                target = next(
                    (s for s in scopes if s.get("scope") == scope_block.get("scope")), None
                )
                if target is None:
                    target = {k: v for k, v in scope_block.items() if k != items_key}
                    target[items_key] = []
                    scopes.append(target)
                target[items_key].append(item)
        result.extend(groups.values() or [resource_block])
    resources[:] = result


def _pop_service(item: Document) -> str | None:
    attributes = item.get("attributes", [])
    for index, attribute in enumerate(attributes):
        if attribute.get("key") == SERVICE_ATTRIBUTE:
            value = attribute.get("value", {}).get("stringValue")
            if isinstance(value, str):
                del attributes[index]
                if not attributes:
                    item.pop("attributes", None)
                return value
    return None


def _set_resource_service(resource_block: Document, service: str) -> None:
    resource = resource_block.setdefault("resource", {})
    attributes = [a for a in resource.get("attributes", []) if a.get("key") != SERVICE_ATTRIBUTE]
    attributes.append({"key": SERVICE_ATTRIBUTE, "value": {"stringValue": service}})
    resource["attributes"] = attributes


def encode_spans(spans: Sequence[ReadableSpan], *, split_services: bool = True) -> Document:
    """``{"resourceSpans": [...]}`` for finished SDK spans."""
    document = span_document(spans)
    if split_services:
        _split_by_service(document["resourceSpans"], "scopeSpans", "spans")
    return document


def encode_logs(logs: Sequence[ReadableLogRecord], *, split_services: bool = True) -> Document:
    """``{"resourceLogs": [...]}`` for SDK log records."""
    document = log_document(logs)
    if split_services:
        _split_by_service(document["resourceLogs"], "scopeLogs", "logRecords")
    return document


def encode_metrics(data: MetricsData | None) -> Document:
    """``{"resourceMetrics": [...]}`` for what a metric reader collected."""
    return metric_document(data)


def write(
    path: str | Path,
    *,
    spans: Sequence[ReadableSpan] = (),
    logs: Sequence[ReadableLogRecord] = (),
    metrics: MetricsData | None = None,
) -> None:
    """Write spans, logs and metrics to ``path`` as OTLP/JSON lines."""
    documents = [encode_spans(spans), encode_logs(logs)]
    if metrics is not None:
        documents.append(encode_metrics(metrics))
    Path(path).write_text(dumps(documents), encoding="utf-8")


# -- decoding ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRecord:
    name: str
    time_unix_nano: int
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    trace_id: str
    span_id: str
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One span as a viewer needs it; ids are lowercase hex ("" when absent)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_unix_nano: int
    end_unix_nano: int
    service: str
    attributes: dict[str, object] = field(default_factory=dict)
    events: tuple[EventRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    status_code: int = 0
    status_message: str = ""
    scope: str = ""
    resource: dict[str, object] = field(default_factory=dict)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, str(self.kind))

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status_code, str(self.status_code))

    @property
    def duration_nano(self) -> int:
        return max(0, self.end_unix_nano - self.start_unix_nano)

    @property
    def is_error(self) -> bool:
        return self.status_code == 2


@dataclass(frozen=True, slots=True)
class LogRecord:
    time_unix_nano: int
    severity_text: str
    severity_number: int
    body: object
    service: str
    trace_id: str = ""
    span_id: str = ""
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricRecord:
    name: str
    unit: str
    service: str
    points: int


@dataclass
class TelemetryFile:
    """Everything decoded from one or more OTLP/JSON documents."""

    spans: list[SpanRecord] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    metrics: list[MetricRecord] = field(default_factory=list)

    def trace_ids(self) -> list[str]:
        """Trace ids in the order their first span started."""
        ordered = sorted(self.spans, key=lambda s: s.start_unix_nano)
        return list(dict.fromkeys(s.trace_id for s in ordered))

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return [s for s in self.spans if s.trace_id == trace_id]

    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans} | {log.service for log in self.logs})

    def logs_for(self, span_id: str) -> list[LogRecord]:
        return sorted(
            (log for log in self.logs if log.span_id == span_id), key=lambda r: r.time_unix_nano
        )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


def _enum(value: object) -> int:
    return (
        _ENUM_NUMBERS[value] if isinstance(value, str) and value in _ENUM_NUMBERS else _int(value)
    )


def _id(value: object, size: int) -> str:
    """Hex id from OTLP/JSON's hex, or protobuf JSON's base64 (both appear in the wild)."""
    if not isinstance(value, str) or not value:
        return ""
    if len(value) == size * 2:
        try:
            bytes.fromhex(value)
            return value.lower()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.hex() if len(raw) == size else ""


def any_value(value: object) -> object:
    """Decode an OTLP ``AnyValue`` (``intValue`` is a string in JSON: int64)."""
    value = _mapping(value)
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return _int(value["intValue"])
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in value:
        return [any_value(v) for v in _list(_mapping(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return attributes(_mapping(value["kvlistValue"]).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: object) -> dict[str, object]:
    return {
        item["key"]: any_value(item.get("value"))
        for item in _list(items)
        if isinstance(item, Mapping) and isinstance(item.get("key"), str)
    }


def _service(resource: Mapping[str, object], default: str = "unknown_service") -> str:
    name = resource.get(SERVICE_ATTRIBUTE)
    return name if isinstance(name, str) and name else default


def _spans(document: Mapping[str, Any]) -> Iterator[SpanRecord]:
    for block in _list(document.get("resourceSpans")):
        resource = attributes(_mapping(_mapping(block).get("resource")).get("attributes"))
        for scope_block in _list(_mapping(block).get("scopeSpans")):
            scope = str(_mapping(_mapping(scope_block).get("scope")).get("name", ""))
            for raw in _list(_mapping(scope_block).get("spans")):
                span = _mapping(raw)
                attrs = attributes(span.get("attributes"))
                service = attrs.get(SERVICE_ATTRIBUTE)
                status = _mapping(span.get("status"))
                yield SpanRecord(
                    trace_id=_id(span.get("traceId"), 16),
                    span_id=_id(span.get("spanId"), 8),
                    parent_span_id=_id(span.get("parentSpanId"), 8),
                    name=str(span.get("name", "")),
                    kind=_enum(span.get("kind")),
                    start_unix_nano=_int(span.get("startTimeUnixNano")),
                    end_unix_nano=_int(span.get("endTimeUnixNano")),
                    service=service if isinstance(service, str) else _service(resource),
                    attributes=attrs,
                    events=tuple(
                        EventRecord(
                            str(_mapping(e).get("name", "")),
                            _int(_mapping(e).get("timeUnixNano")),
                            attributes(_mapping(e).get("attributes")),
                        )
                        for e in _list(span.get("events"))
                    ),
                    links=tuple(
                        LinkRecord(
                            _id(_mapping(link).get("traceId"), 16),
                            _id(_mapping(link).get("spanId"), 8),
                            attributes(_mapping(link).get("attributes")),
                        )
                        for link in _list(span.get("links"))
                    ),
                    status_code=_enum(status.get("code")),
                    status_message=str(status.get("message", "")),
                    scope=scope,
                    resource=resource,
                )


def _logs(document: Mapping[str, Any]) -> Iterator[LogRecord]:
    for block in _list(document.get("resourceLogs")):
        resource = attributes(_mapping(_mapping(block).get("resource")).get("attributes"))
        for scope_block in _list(_mapping(block).get("scopeLogs")):
            for raw in _list(_mapping(scope_block).get("logRecords")):
                record = _mapping(raw)
                attrs = attributes(record.get("attributes"))
                service = attrs.get(SERVICE_ATTRIBUTE)
                yield LogRecord(
                    time_unix_nano=_int(
                        record.get("timeUnixNano") or record.get("observedTimeUnixNano")
                    ),
                    severity_text=str(record.get("severityText", "")),
                    severity_number=_int(record.get("severityNumber")),
                    body=any_value(record.get("body")),
                    service=service if isinstance(service, str) else _service(resource),
                    trace_id=_id(record.get("traceId"), 16),
                    span_id=_id(record.get("spanId"), 8),
                    attributes=attrs,
                )


def _metrics(document: Mapping[str, Any]) -> Iterator[MetricRecord]:
    for block in _list(document.get("resourceMetrics")):
        resource = attributes(_mapping(_mapping(block).get("resource")).get("attributes"))
        for scope_block in _list(_mapping(block).get("scopeMetrics")):
            for raw in _list(_mapping(scope_block).get("metrics")):
                metric = _mapping(raw)
                points = sum(
                    len(_list(_mapping(metric.get(kind)).get("dataPoints")))
                    for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary")
                )
                yield MetricRecord(
                    str(metric.get("name", "")), str(metric.get("unit", "")), _service(resource),
                    points,
                )  # fmt: skip


def decode(documents: Iterable[Mapping[str, Any]]) -> TelemetryFile:
    """Spans, logs and metrics from OTLP/JSON documents (unknown fields are ignored)."""
    result = TelemetryFile()
    for document in documents:
        result.spans.extend(_spans(document))
        result.logs.extend(_logs(document))
        result.metrics.extend(_metrics(document))
    return result


def documents(text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(line, document)`` from JSON lines, one document, or a JSON list of documents.

    Raises ``ValueError`` naming the line when a line is not JSON.
    """
    if not text.strip():
        return
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if whole is not None:
        for document in whole if isinstance(whole, list) else [whole]:
            if isinstance(document, Mapping):
                yield 1, document
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                document = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
            if isinstance(document, Mapping):
                yield number, document


def loads(text: str) -> TelemetryFile:
    """Decode JSON lines, one document, or a JSON list of documents."""
    return decode(document for _line, document in documents(text))


def load(path: str | Path) -> TelemetryFile:
    return loads(Path(path).read_text(encoding="utf-8"))
