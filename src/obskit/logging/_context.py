"""structlog processor: the current span's W3C ids on every event."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from structlog.typing import EventDict, WrappedLogger

from obskit.propagation import current_context

#: the last span context seen and its ids as text: the events of one span format them once
#: (replaced whole, so threads share it safely)
_last: tuple[Any, dict[str, str]] = (None, {})


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Add ``trace_id``, ``span_id`` (W3C hex) and ``trace_flags`` of the current span."""
    global _last
    span_context = trace.get_current_span(current_context()).get_span_context()
    seen, ids = _last
    if span_context is not seen:
        if not span_context.is_valid:
            return event_dict
        ids = {
            "trace_id": f"{span_context.trace_id:032x}",
            "span_id": f"{span_context.span_id:016x}",
            "trace_flags": f"{int(span_context.trace_flags):02x}",
        }
        _last = (span_context, ids)
    event_dict.update(ids)
    return event_dict
