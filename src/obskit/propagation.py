"""W3C trace context in and out of every header shape the brokers and HTTP stacks use.

The public face of propagation: :func:`extract` and :func:`inject` over the carriers in
``_carriers`` and the Trace Context parser in ``_traceparent``. Extraction never raises: a
carrier it cannot read, bytes that are not UTF-8 or a malformed, duplicated ``traceparent`` give
a fresh root context and a counted, rate-limited debug record. Injection replaces an existing
``traceparent`` rather than appending a second one.
"""

from __future__ import annotations

import contextvars
from typing import Any, Final

from opentelemetry import baggage as _baggage_api
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, get_current
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace import NonRecordingSpan
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from obskit._baggage import extract_baggage
from obskit._carriers import (
    HEADER_GETTER,
    HEADER_SETTER,
    HeaderGetter,
    HeaderSetter,
    decode_all,
    header_values,
    invalid_header_counts,
    note_invalid,
)
from obskit._traceparent import (
    TRACEPARENT,
    TRACESTATE,
    TraceContextPropagator,
    parse,
    parse_traceparent,
    with_tracestate,
)

__all__ = [
    "HEADER_GETTER",
    "HEADER_SETTER",
    "HeaderGetter",
    "HeaderSetter",
    "TraceContextPropagator",
    "extract",
    "header_values",
    "inject",
    "invalid_header_counts",
]

BAGGAGE: Final = "baggage"

_TRACE_CONTEXT: Final = TraceContextPropagator()
_BAGGAGE: Final = W3CBaggagePropagator()
DEFAULT_PROPAGATOR: Final = CompositePropagator([_TRACE_CONTEXT, _BAGGAGE])

_fast_path_for: list[object] = [None, False]


def _uses_default_propagators() -> bool:
    """True when the global propagator is W3C trace context + baggage (ours or the SDK's)."""
    current = propagate.get_global_textmap()
    if _fast_path_for[0] is current:
        return _fast_path_for[1] is True
    members = getattr(current, "_propagators", None)
    fast = current is DEFAULT_PROPAGATOR or (
        members is not None
        and len(members) == 2
        and isinstance(members[0], TraceContextTextMapPropagator | TraceContextPropagator)
        and isinstance(members[1], W3CBaggagePropagator)
    )
    _fast_path_for[:] = [current, fast]
    return fast


_WANTED: Final = {TRACEPARENT: 0, TRACESTATE: 1, BAGGAGE: 2}


def _collect(carrier: object) -> tuple[list[str], list[str], list[str]]:
    """``traceparent``, ``tracestate`` and ``baggage`` values, in one pass over the carrier (the
    per-message hot path)."""
    if type(carrier) is dict:
        found: tuple[list[object], list[object], list[object]] = ([], [], [])
        for name, value in carrier.items():
            index = _WANTED.get(name.lower() if type(name) is str else name)
            if index is None:
                if isinstance(name, bytes):
                    index = _WANTED.get(name.decode("latin-1").lower())
                if index is None:
                    continue
            if type(value) in (list, tuple):
                found[index].extend(value)
            else:
                found[index].append(value)
        return (
            decode_all(found[0], TRACEPARENT),
            decode_all(found[1], TRACESTATE),
            decode_all(found[2], BAGGAGE) if found[2] else [],
        )
    return (
        header_values(carrier, TRACEPARENT),
        header_values(carrier, TRACESTATE),
        header_values(carrier, BAGGAGE),
    )


def extract(carrier: object, context: Context | None = None) -> Context:
    """The context the carrier's headers describe; never raises (a bad carrier gives ``context``).

    Uses the global propagator (``OTEL_PROPAGATORS``); when that is the default W3C pair, obskit's
    own stricter Trace Context parser runs instead of the SDK's.
    """
    base = Context() if context is None else context
    try:
        if not _uses_default_propagators():
            return propagate.get_global_textmap().extract(carrier, base, getter=HEADER_GETTER)
        parents, states, baggage = _collect(carrier)
        if parents:
            span_context = parse(parents, lambda: states)
            if span_context is not None:
                base = trace.set_span_in_context(trace.NonRecordingSpan(span_context), base)
        if baggage:
            base = extract_baggage(baggage, base)  # within the limits, never logged whole
        return base
    except Exception as exc:  # never let a header break the host
        note_invalid("carrier_error", repr(exc))
        return Context() if context is None else context


#: the key under which the API keeps a context's span (read once, through the API itself)
SPAN_KEY: Final = next(iter(trace.set_span_in_context(trace.INVALID_SPAN, Context())))
_TRACE_KEYS: Final = frozenset(_WANTED)
_ROOT: Final = Context()  # immutable: one empty context serves every message without a parent


def extract_incoming(
    carrier: object, also: str
) -> tuple[Context, trace.SpanContext | None, list[str]]:
    """What a consumer needs of a message's headers, in one pass over a dict: the context
    :func:`extract` gives, the producer's span context (None when there is no valid one), and
    the values of the one further header ``also`` (lowercase). Never raises."""
    try:
        if type(carrier) is dict and _uses_default_propagators():
            get = carrier.get
            parent, state, baggage = get(TRACEPARENT), get(TRACESTATE), get(BAGGAGE)
            extra = get(also)
            found = (parent is not None) + (state is not None) + (baggage is not None)
            if found + (extra is not None) == len(carrier) or not _other_spellings(carrier, also):
                remote = None
                if parent is not None:
                    parents = [parent] if type(parent) is str else _values(parent, TRACEPARENT)
                    remote = parse_traceparent(parents)
                    if remote is not None and state is not None:
                        remote = with_tracestate(remote, _values(state, TRACESTATE))
                context = _ROOT if remote is None else Context({SPAN_KEY: NonRecordingSpan(remote)})
                if baggage is not None:
                    values = _values(baggage, BAGGAGE)
                    if values:  # within the limits, never logged whole
                        context = extract_baggage(values, context)
                return context, remote, ([] if extra is None else _values(extra, also))
        context = extract(carrier)
        remote = trace.get_current_span(context).get_span_context()
        return context, (remote if remote.is_valid else None), header_values(carrier, also)
    except Exception as exc:  # never let a header break the host
        note_invalid("carrier_error", repr(exc))
        return Context(), None, []


def _other_spellings(carrier: dict[Any, Any], also: str) -> bool:
    """Whether a key of ``carrier`` may be another spelling of a wanted header (``Traceparent``,
    ``b"baggage"``): then the general path, which reads every spelling, decides."""
    for name in carrier:
        if type(name) is not str:
            return True
        if name not in _TRACE_KEYS and name != also:
            lowered = name.lower()
            if lowered in _TRACE_KEYS or lowered == also:
                return True
    return False


def _values(value: object, key: str) -> list[str]:
    if type(value) is str:
        return [value]
    if type(value) is list or type(value) is tuple:
        return decode_all(list(value), key)
    return decode_all([value], key)


def inject(carrier: Any, context: Context | None = None) -> Any:
    """Write the current (or given) context into ``carrier``, replacing what was there.

    Inside a consumer with no SDK configured, the incoming message's context is passed
    through, as the OpenTelemetry API does without an SDK. Returns the carrier.
    """
    if context is None:
        context = current_context()
    try:
        if _uses_default_propagators():
            _TRACE_CONTEXT.inject(carrier, context, HEADER_SETTER)
            if _baggage_api.get_all(context):
                _BAGGAGE.inject(carrier, context, HEADER_SETTER)
        else:
            propagate.get_global_textmap().inject(carrier, context, setter=HEADER_SETTER)
    except Exception as exc:
        note_invalid("inject_error", repr(exc))
    return carrier


# ---------------------------------------------------------------------------------------------
# Pass-through without an SDK: the consumer leaves the incoming headers here and nothing is
# parsed unless the handler publishes or calls out.

_pending_headers: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "obskit_pending_headers", default=None
)


def current_context() -> Context:
    """The current context, or, in a handler running without an SDK, the incoming message's."""
    context = get_current()
    pending = _pending_headers.get()
    if pending is not None and not trace.get_current_span(context).get_span_context().is_valid:
        if type(pending) is tuple:  # (incoming_headers, args, kwargs) from a consumer wrapper
            read, args, kwargs = pending
            pending = read(args, kwargs)
        return extract(pending, context)
    return context


def set_pending_headers(headers: object) -> contextvars.Token[object | None]:
    return _pending_headers.set(headers)


def reset_pending_headers(token: contextvars.Token[object | None]) -> None:
    _pending_headers.reset(token)
