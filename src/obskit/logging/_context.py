"""structlog processor: the current span's W3C ids on every event."""

from __future__ import annotations

from opentelemetry import trace
from structlog.typing import EventDict, WrappedLogger

from obskit.propagation import current_context


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Add ``trace_id``, ``span_id`` (W3C hex) and ``trace_flags`` of the current span."""
    span_context = trace.get_current_span(current_context()).get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = f"{span_context.trace_id:032x}"
        event_dict["span_id"] = f"{span_context.span_id:016x}"
        event_dict["trace_flags"] = f"{int(span_context.trace_flags):02x}"
    return event_dict
