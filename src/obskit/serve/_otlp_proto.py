"""OTLP protobuf requests read straight into the viewer's records.

The JSON path (``obskit.view._otlp_json``) goes through dictionaries; for protobuf that costs a
``MessageToDict`` per request, several times slower than reading the message fields directly,
and ingestion speed is what a receiver is measured by. Both paths produce the same records.
"""

from __future__ import annotations

from typing import Any

from obskit.view._otlp_json import (
    SERVICE_ATTRIBUTE,
    EventRecord,
    LinkRecord,
    LogRecord,
    MetricRecord,
    SpanRecord,
    TelemetryFile,
)

__all__ = ["decode_request"]

_POINT_KINDS = ("sum", "gauge", "histogram", "exponential_histogram", "summary")


def _value(value: Any) -> object:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None


def _attributes(items: Any) -> dict[str, object]:
    return {item.key: _value(item.value) for item in items}


def _id(raw: bytes, size: int) -> str:
    return raw.hex() if len(raw) == size else ""


def _span(span: Any, scope: str, resource: dict[str, object], service: str) -> SpanRecord:
    attributes = _attributes(span.attributes)
    own = attributes.get(SERVICE_ATTRIBUTE)
    return SpanRecord(
        trace_id=_id(span.trace_id, 16),
        span_id=_id(span.span_id, 8),
        parent_span_id=_id(span.parent_span_id, 8),
        name=span.name,
        kind=span.kind,
        start_unix_nano=span.start_time_unix_nano,
        end_unix_nano=span.end_time_unix_nano,
        service=own if isinstance(own, str) else service,
        attributes=attributes,
        events=tuple(
            EventRecord(e.name, e.time_unix_nano, _attributes(e.attributes)) for e in span.events
        ),
        links=tuple(
            LinkRecord(_id(link.trace_id, 16), _id(link.span_id, 8), _attributes(link.attributes))
            for link in span.links
        ),
        status_code=span.status.code,
        status_message=span.status.message,
        scope=scope,
        resource=resource,
    )


def _log(record: Any, service: str) -> LogRecord:
    attributes = _attributes(record.attributes)
    own = attributes.get(SERVICE_ATTRIBUTE)
    return LogRecord(
        time_unix_nano=record.time_unix_nano or record.observed_time_unix_nano,
        severity_text=record.severity_text,
        severity_number=record.severity_number,
        body=_value(record.body),
        service=own if isinstance(own, str) else service,
        trace_id=_id(record.trace_id, 16),
        span_id=_id(record.span_id, 8),
        attributes=attributes,
    )


def _service(resource: dict[str, object]) -> str:
    name = resource.get(SERVICE_ATTRIBUTE)
    return name if isinstance(name, str) and name else "unknown_service"


def decode_request(signal: str, request: Any) -> TelemetryFile:
    """The records in one parsed ``Export*ServiceRequest``."""
    result = TelemetryFile()
    if signal == "traces":
        for block in request.resource_spans:
            resource = _attributes(block.resource.attributes)
            service = _service(resource)
            for scope_block in block.scope_spans:
                scope = scope_block.scope.name
                result.spans.extend(_span(s, scope, resource, service) for s in scope_block.spans)
    elif signal == "logs":
        for block in request.resource_logs:
            service = _service(_attributes(block.resource.attributes))
            for scope_block in block.scope_logs:
                result.logs.extend(_log(r, service) for r in scope_block.log_records)
    else:
        for block in request.resource_metrics:
            service = _service(_attributes(block.resource.attributes))
            for scope_block in block.scope_metrics:
                for metric in scope_block.metrics:
                    which = metric.WhichOneof("data")
                    points = len(getattr(metric, which).data_points) if which in _POINT_KINDS else 0
                    result.metrics.append(MetricRecord(metric.name, metric.unit, service, points))
    return result
