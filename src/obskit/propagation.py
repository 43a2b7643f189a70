"""W3C trace context in and out of every header shape the brokers and HTTP stacks use.

Carriers: ``dict[str, str]``, ``dict[str, bytes]`` (AMQP tables, NATS headers), lists of
``(str, bytes)`` tuples (Kafka), and anything with ``getall``/``get_all``/``get_list`` (multidicts,
``email.message``, httpx headers). Keys match case-insensitively. Extraction never raises: a
carrier it cannot read, bytes that are not UTF-8 or a malformed, duplicated ``traceparent`` give
a fresh root context and a counted, rate-limited debug record. Injection replaces an existing
``traceparent`` rather than appending a second one.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Final

from opentelemetry import baggage as _baggage_api
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, get_current
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from obskit import _tracestate

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

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"
BAGGAGE: Final = "baggage"

_log = logging.getLogger("obskit.propagation")

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


class _Undecodable(Exception):
    """A header value that is not text: treated as absent, counted."""


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise _Undecodable from None
    raise _Undecodable


def header_values(carrier: object, key: str) -> list[str]:
    """Every value of header ``key`` (case-insensitive) in ``carrier``, decoded to text.

    Raises nothing for shapes it does not know: they simply hold no headers. Undecodable
    values are counted and skipped.
    """
    if carrier is None:
        return []
    values: list[object]
    if type(carrier) is dict:  # the common case, without the ABC check
        found = carrier.get(key)
        if found is not None and len(carrier) == 1:
            values = list(found) if type(found) in (list, tuple) else [found]
            return _texts(values, key)
        return _texts(_collect_key(carrier, key), key)
    if isinstance(carrier, Mapping):
        direct = carrier.get(key)
        if direct is not None and not _has_case_variants(carrier, key):
            values = direct if isinstance(direct, list) else [direct]
        else:
            values = []
            for name, value in carrier.items():
                if isinstance(name, str | bytes) and _same_key(name, key):
                    if isinstance(value, list | tuple):
                        values.extend(value)
                    else:
                        values.append(value)
    elif isinstance(carrier, list | tuple):
        values = [
            pair[1]
            for pair in carrier
            if isinstance(pair, tuple | list)
            and len(pair) == 2
            and isinstance(pair[0], str | bytes)
            and _same_key(pair[0], key)
        ]
    else:
        getter = (
            getattr(carrier, "getall", None)
            or getattr(carrier, "get_all", None)
            or getattr(carrier, "get_list", None)
        )
        if getter is None:
            return []
        try:
            found = getter(key)
        except (KeyError, TypeError):
            return []
        values = list(found or ())
    texts = []
    for value in values:
        try:
            texts.append(_text(value))
        except _Undecodable:
            _note_invalid("undecodable", key)
    return texts


def _collect_key(carrier: dict[Any, Any], key: str) -> list[object]:
    values: list[object] = []
    for name, value in carrier.items():
        if (type(name) is str and name.lower() == key) or (
            isinstance(name, bytes) and name.decode("latin-1").lower() == key
        ):
            if type(value) in (list, tuple):
                values.extend(value)
            else:
                values.append(value)
    return values


def _same_key(name: str | bytes, key: str) -> bool:
    if isinstance(name, bytes):
        try:
            name = name.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            return False
    return name.lower() == key


def _has_case_variants(carrier: Mapping[Any, Any], key: str) -> bool:
    # Small carriers: a linear scan is cheaper than any index. Only mixed-case duplicates matter.
    count = 0
    for name in carrier:
        if isinstance(name, str) and len(name) == len(key) and name.lower() == key:
            count += 1
            if count > 1:
                return True
    return False


def _key_text(key: object) -> str:
    return key.decode("latin-1") if isinstance(key, bytes) else str(key)


class HeaderGetter(Getter[Any]):
    """OpenTelemetry ``Getter`` over every carrier shape :func:`header_values` reads."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        values = header_values(carrier, key.lower())
        return values or None

    def keys(self, carrier: Any) -> list[str]:
        if isinstance(carrier, Mapping):
            return [_key_text(k) for k in carrier]
        if isinstance(carrier, list | tuple):
            return [_key_text(p[0]) for p in carrier if isinstance(p, tuple | list) and len(p) == 2]
        keys = getattr(carrier, "keys", None)
        return [str(k) for k in keys()] if callable(keys) else []


class HeaderSetter(Setter[Any]):
    """OpenTelemetry ``Setter`` that replaces, never duplicates, and keeps the carrier's encoding.

    Lists of tuples (Kafka) get ``bytes`` values; a mapping whose values are already ``bytes``
    gets ``bytes``; everything else gets ``str``.
    """

    def set(self, carrier: Any, key: str, value: str) -> None:
        if isinstance(carrier, MutableMapping):
            as_bytes = any(isinstance(v, bytes) for v in carrier.values())
            for name in [n for n in carrier if isinstance(n, str | bytes) and _same_key(n, key)]:
                del carrier[name]
            carrier[key] = value.encode() if as_bytes else value
        elif isinstance(carrier, list):
            carrier[:] = [
                pair
                for pair in carrier
                if not (isinstance(pair, tuple | list) and pair and _same_key(pair[0], key))
            ]
            carrier.append((key, value.encode()))
        elif hasattr(carrier, "__setitem__"):
            # email.message.Message-like carriers append on assignment: remove the old first
            if hasattr(carrier, "__delitem__"):
                with contextlib.suppress(KeyError):
                    del carrier[key]
            carrier[key] = value
        else:
            raise TypeError(f"cannot write headers into {type(carrier).__name__}")


HEADER_GETTER: Final = HeaderGetter()
HEADER_SETTER: Final = HeaderSetter()

# ---------------------------------------------------------------------------------------------
# Counting bad input: once per reason per interval, never per message.

_invalid: Counter[str] = Counter()
_last_report: dict[str, float] = {}
_REPORT_INTERVAL: Final = 60.0


_invalid_lock = threading.Lock()


def _note_invalid(reason: str, detail: str) -> None:
    with _invalid_lock:  # only bad input takes this path
        _invalid[reason] += 1
        now = time.monotonic()
        report = now - _last_report.get(reason, -_REPORT_INTERVAL) >= _REPORT_INTERVAL
        if report:
            _last_report[reason] = now
    if report:
        _log.debug(
            "ignored invalid trace header (%s: %s); %d so far",
            reason,
            detail[:64],
            _invalid[reason],
        )


def invalid_header_counts() -> dict[str, int]:
    """How many header values were ignored, by reason (for tests and health pages)."""
    return dict(_invalid)


# ---------------------------------------------------------------------------------------------
# W3C Trace Context


def parse_traceparent(values: list[str]) -> trace.SpanContext | None:
    """A remote ``SpanContext`` from the ``traceparent`` values, or None when they are invalid."""
    if len(values) != 1:
        if values:
            _note_invalid("duplicate_traceparent", values[0])
        return None
    header = values[0].strip(" \t")
    match = _TRACEPARENT.fullmatch(header)
    if match is None:
        _note_invalid("malformed_traceparent", header)
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
        _note_invalid("malformed_traceparent", header)
        return None
    return trace.SpanContext(
        trace_id=int(trace_hex, 16),
        span_id=int(span_hex, 16),
        is_remote=True,
        trace_flags=trace.TraceFlags(int(flags, 16) & _KNOWN_FLAGS),
    )


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
            span_context = _parse(parents, lambda: getter.get(carrier, TRACESTATE) or [])
        except Exception as exc:  # a buggy getter must never break the host
            _note_invalid("carrier_error", repr(exc))
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


def _parse(parents: list[str], tracestate: Callable[[], list[str]]) -> trace.SpanContext | None:
    """Parse ``traceparent``; read ``tracestate`` only when that is valid (it is kept only then)."""
    if not parents:
        return None
    span_context = parse_traceparent(parents)
    if span_context is None:
        return None
    states = tracestate()
    if states:
        span_context = trace.SpanContext(
            span_context.trace_id,
            span_context.span_id,
            is_remote=True,
            trace_flags=span_context.trace_flags,
            trace_state=_tracestate.parse(states),
        )
    return span_context


_TRACE_CONTEXT: Final = TraceContextPropagator()
_BAGGAGE: Final = W3CBaggagePropagator()
DEFAULT_PROPAGATOR: Final = CompositePropagator([_TRACE_CONTEXT, _BAGGAGE])

_fast_path_for: list[object] = [None, False]


def _uses_default_propagators() -> bool:
    """True when the global propagator is W3C trace context + baggage (ours or the SDK's)."""
    current = propagate.get_global_textmap()
    if _fast_path_for[0] is current:
        return bool(_fast_path_for[1])
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


def _collect(carrier: object) -> tuple[list[str], list[str], bool]:
    """``traceparent`` values, ``tracestate`` values and whether baggage is present, in one
    pass over the carrier (the per-message hot path)."""
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
        return _texts(found[0], TRACEPARENT), _texts(found[1], TRACESTATE), bool(found[2])
    return (
        header_values(carrier, TRACEPARENT),
        header_values(carrier, TRACESTATE),
        bool(header_values(carrier, BAGGAGE)),
    )


def _texts(values: list[object], key: str) -> list[str]:
    texts = []
    for value in values:
        if type(value) is str:
            texts.append(value)
            continue
        try:
            texts.append(_text(value))
        except _Undecodable:
            _note_invalid("undecodable", key)
    return texts


def extract(carrier: object, context: Context | None = None) -> Context:
    """The context the carrier's headers describe; never raises (a bad carrier gives ``context``).

    Uses the global propagator (``OTEL_PROPAGATORS``); when that is the default W3C pair, obskit's
    own stricter Trace Context parser runs instead of the SDK's.
    """
    base = Context() if context is None else context
    try:
        if not _uses_default_propagators():
            return propagate.get_global_textmap().extract(carrier, base, getter=HEADER_GETTER)
        parents, states, has_baggage = _collect(carrier)
        if parents:
            span_context = _parse(parents, lambda: states)
            if span_context is not None:
                base = trace.set_span_in_context(trace.NonRecordingSpan(span_context), base)
        if has_baggage:
            base = _BAGGAGE.extract(carrier, base, getter=HEADER_GETTER)
        return base
    except Exception as exc:  # never let a header break the host
        _note_invalid("carrier_error", repr(exc))
        return Context() if context is None else context


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
        _note_invalid("inject_error", repr(exc))
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
