"""W3C Trace Context: the ``traceparent`` header (levels 1 and 2) and the propagator over it.

Stricter and newer than the SDK's parser: two ``traceparent`` headers are invalid, unknown flag
bits are dropped, and ``tracestate`` (see ``_tracestate``) is read only beside a valid parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import CarrierT, Getter, Setter, TextMapPropagator

from obskit import _tracestate
from obskit._carriers import HEADER_GETTER, HEADER_SETTER, note_invalid

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "TraceContextPropagator",
    "format_traceparent",
    "parse",
    "parse_traceparent",
]

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"

# version "-" trace-id "-" parent-id "-" flags, and for versions above 00 optional "-" extras.
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?"
)
_ZERO_TRACE: Final = "0" * 32
#: the flags Trace Context defines: sampled (0x01) and, since level 2, random trace id (0x02);
#: other bits are unknown and not propagated
_KNOWN_FLAGS: Final = 0x03
_ZERO_SPAN: Final = "0" * 16

# W3C Trace Context


#: the common case, version 00 with nothing around it: checked by one match, read by position
_VERSION_00: Final = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}").fullmatch
#: every flags byte's TraceFlags, unknown bits dropped (built once, not per message)
_FLAGS: Final = {f"{i:02x}": trace.TraceFlags(i & _KNOWN_FLAGS) for i in range(256)}
_SpanContext = trace.SpanContext


def parse_traceparent(values: list[str]) -> trace.SpanContext | None:
    """A remote ``SpanContext`` from the ``traceparent`` values, or None when they are invalid."""
    if len(values) != 1:
        if values:
            note_invalid("duplicate_traceparent", values[0])
        return None
    header = values[0]
    if len(header) == 55 and _VERSION_00(header) is not None:
        trace_id, span_id = int(header[3:35], 16), int(header[36:52], 16)
        if trace_id and span_id:
            return _SpanContext(trace_id, span_id, True, _FLAGS[header[53:]])
    return _parse_general(header.strip(" \t"))


def _parse_general(header: str) -> trace.SpanContext | None:
    match = _TRACEPARENT.fullmatch(header)
    if match is None:
        note_invalid("malformed_traceparent", header)
        return None
    version, trace_hex, span_hex, flags, rest = match.group(
        "version", "trace_id", "span_id", "flags", "rest"
    )
    if (
        version == "ff"
        or (version == "00" and rest)
        or trace_hex == _ZERO_TRACE
        or (span_hex == _ZERO_SPAN)
    ):
        note_invalid("malformed_traceparent", header)
        return None
    return _SpanContext(int(trace_hex, 16), int(span_hex, 16), True, _FLAGS[flags])


def format_traceparent(span_context: trace.SpanContext) -> str:
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{int(span_context.trace_flags) & _KNOWN_FLAGS:02x}"
    )


class TraceContextPropagator(TextMapPropagator):
    """W3C Trace Context (levels 1 and 2), stricter and newer than the SDK's parser.

    The ``tracestate`` key grammar follows the current recommendation (see ``_tracestate``);
    two ``traceparent`` headers are invalid; any problem starts a new trace.
    """

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = HEADER_GETTER,
    ) -> Context:
        if context is None:
            context = Context()
        try:
            parents = getter.get(carrier, TRACEPARENT) or []
            span_context = parse(parents, lambda: getter.get(carrier, TRACESTATE) or [])
        except Exception as exc:  # a buggy getter must never break the host
            note_invalid("carrier_error", repr(exc))
            return context
        if span_context is None:
            return context
        return trace.set_span_in_context(trace.NonRecordingSpan(span_context), context)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = HEADER_SETTER,
    ) -> None:
        span_context = trace.get_current_span(context).get_span_context()
        if not span_context.is_valid:
            return
        setter.set(carrier, TRACEPARENT, format_traceparent(span_context))
        if span_context.trace_state:
            setter.set(carrier, TRACESTATE, span_context.trace_state.to_header())

    @property
    def fields(self) -> set[str]:
        return {TRACEPARENT, TRACESTATE}


def parse(parents: list[str], tracestate: Callable[[], list[str]]) -> trace.SpanContext | None:
    """Parse ``traceparent``; read ``tracestate`` only when that is valid (it is kept only then)."""
    if not parents:
        return None
    span_context = parse_traceparent(parents)
    if span_context is None:
        return None
    return with_tracestate(span_context, tracestate())


def with_tracestate(span_context: trace.SpanContext, states: list[str]) -> trace.SpanContext:
    """``span_context`` carrying the ``tracestate`` header(s) ``states`` (none: unchanged)."""
    if not states:
        return span_context
    return _SpanContext(
        span_context.trace_id,
        span_context.span_id,
        True,
        span_context.trace_flags,
        _tracestate.parse(states),
    )
