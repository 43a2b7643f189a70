"""Several services in one process: a ``service.name`` per span and per log record.

OpenTelemetry gives a process one global ``Resource``, so one process cannot be three services
by resource alone. The demo runs each service's code inside :func:`service_scope`; a span
processor stamps every span started there with a ``service.name`` attribute, and
:class:`ServiceResourceSpanExporter` moves that attribute into a resource of its own before
export, so a collector (and ``obskit view``) groups spans by service as if three processes sent
them. The OTLP/JSON encoder in ``obskit.view._otlp_json`` does the same for files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from obskit.view._otlp_json import SERVICE_ATTRIBUTE

__all__ = [
    "ServiceNameProcessor",
    "ServiceResourceLogExporter",
    "ServiceResourceSpanExporter",
    "current_service",
    "in_service",
    "service_scope",
]

_current: ContextVar[str | None] = ContextVar("obskit_demo_service", default=None)


def current_service() -> str | None:
    return _current.get()


@contextmanager
def service_scope(name: str) -> Iterator[None]:
    """Code in this block runs as service ``name``."""
    token = _current.set(name)
    try:
        yield
    finally:
        _current.reset(token)


def in_service(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` run inside :func:`service_scope` (wrap it *outside* its obskit decorator)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with service_scope(name):
            return handler(*args, **kwargs)

    return run


class ServiceNameProcessor(SpanProcessor, LogRecordProcessor):
    """Stamps ``service.name`` on each span started and each log record emitted inside a
    :func:`service_scope` (add it to the log fan-out ``first``, before any exporter)."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        name = _current.get()
        if name is not None:
            span.set_attribute(SERVICE_ATTRIBUTE, name)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        name = _current.get()
        attributes = log_record.log_record.attributes
        if name is not None and attributes is not None and SERVICE_ATTRIBUTE not in attributes:
            attributes[SERVICE_ATTRIBUTE] = name  # type: ignore[index]

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _service_resource(resource: Resource, service: object) -> Resource:
    if not isinstance(service, str):
        return resource
    return resource.merge(Resource({SERVICE_ATTRIBUTE: service}))


class ServiceResourceSpanExporter(SpanExporter):
    """Exports each span under a resource named after its ``service.name`` attribute."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_respan(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _respan(span: ReadableSpan) -> ReadableSpan:
    attributes = dict(span.attributes or {})
    service = attributes.pop(SERVICE_ATTRIBUTE, None)
    if service is None:
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=_service_resource(span.resource, service),
        attributes=attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ServiceResourceLogExporter(LogRecordExporter):
    """Exports each log record under a resource named after its ``service.name`` attribute."""

    def __init__(self, inner: LogRecordExporter) -> None:
        self.inner = inner

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return self.inner.export([_relog(record) for record in batch])

    def shutdown(self) -> None:
        self.inner.shutdown()  # type: ignore[no-untyped-call, unused-ignore]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))  # type: ignore[no-untyped-call, unused-ignore]


def _relog(record: ReadableLogRecord) -> ReadableLogRecord:
    service = (record.log_record.attributes or {}).get(SERVICE_ATTRIBUTE)
    if not isinstance(service, str):
        return record
    return ReadableLogRecord(
        record.log_record,
        resource=_service_resource(record.resource, service),
        instrumentation_scope=record.instrumentation_scope,
    )
