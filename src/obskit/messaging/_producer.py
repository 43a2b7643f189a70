"""``publishing()`` and ``@traced.producer``: PRODUCER spans that inject their context."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from obskit import _semconv_names as sc
from obskit import propagation
from obskit._memory import OVERFLOW
from obskit._providers import instruments, sdk_tracer
from obskit._spans import SpanCall, call_attributes, check_attributes, in_context, record_outcome
from obskit._state import STATE
from obskit.errors import ErrorKind, ErrorPolicy, error_type

_log = logging.getLogger("obskit.messaging")


def _producer_attributes(destination: str, system: str, operation: str) -> dict[str, Any]:
    return {
        sc.MESSAGING_SYSTEM: system,
        sc.MESSAGING_OPERATION_TYPE: "send",
        sc.MESSAGING_OPERATION_NAME: operation,
        sc.MESSAGING_DESTINATION_NAME: destination,
    }


_sent_labels: dict[tuple[str, str], dict[str, Any]] = {}
#: destinations counted apart (each name at most ``_DESTINATION_CHARS`` long); the rest share
#: the tally's overflow series, so 200,000 distinct destinations keep about 1,000 entries
_DESTINATIONS: Final = 1000
_DESTINATION_CHARS: Final = 256


def _sent_attributes(system: str, destination: str) -> dict[str, Any]:
    """One attribute dict per (system, destination), the key of the sent-messages tally."""
    labels = _sent_labels.get((system, destination))
    if labels is None:
        if len(_sent_labels) >= _DESTINATIONS or len(destination) > _DESTINATION_CHARS:
            return OVERFLOW
        labels = _sent_labels.setdefault(
            (system, destination),
            {
                sc.MESSAGING_SYSTEM: system,
                sc.MESSAGING_OPERATION_NAME: "send",
                sc.MESSAGING_DESTINATION_NAME: destination,
            },
        )
    return labels


@contextmanager
def publishing(
    destination: str,
    *,
    system: str,
    headers: Any = None,
    message_id: str | None = None,
    attributes: dict[str, Any] | None = None,
    errors: ErrorPolicy | None = None,
) -> Iterator[Any]:
    """Open a PRODUCER span ``send {destination}`` and yield the headers with its context.

    ``headers`` may be any carrier :func:`obskit.inject` accepts (a dict, a Kafka list of
    tuples, ...); a new dict is made when none is given. The consumer of the message continues
    this span's trace. Errors inside the block are recorded and re-raised.
    """
    check_attributes(attributes)
    carrier: Any = {} if headers is None else headers
    sending = start_send(
        destination, system=system, carrier=carrier, message_id=message_id, attributes=attributes
    )
    if sending is None:
        yield carrier
        return
    span = sending.span
    token = context_api.attach(sending.context)
    failure: str | None = None
    try:
        yield carrier
    except BaseException as exc:
        failure = error_type(exc)
        try:
            if record_outcome(span, exc, errors or STATE.settings.error_policy) is (
                ErrorKind.CANCELLED
            ):
                failure = None  # stopped from outside: not a failed send
        except Exception:  # the caller's own exception is what must come out
            _log.warning("obskit: recording a publish failure raised", exc_info=True)
        raise
    finally:
        context_api.detach(token)
        sending.end(failure)


class Sending:
    """One PRODUCER span, started and ended by separate calls and never made the current
    context by itself: what a client's before- and after-publish hooks need."""

    __slots__ = ("context", "destination", "span", "system")

    def __init__(self, span: Any, context: Context, destination: str, system: str) -> None:
        self.span, self.context = span, context
        self.destination, self.system = destination, system

    def end(self, failure: str | None = None) -> None:
        self.span.end()
        instruments().sent.add(_sent_attributes(self.system, self.destination), failure)


def start_send(
    destination: str,
    *,
    system: str,
    carrier: Any,
    message_id: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Sending | None:
    """Start ``send {destination}`` as a child of the current context and write its context
    into ``carrier``; None (the caller's context injected) when nothing records."""
    tracer = sdk_tracer()
    if tracer is None:
        propagation.inject(carrier)
        return None
    span_attributes = _producer_attributes(destination, system, "send")
    if message_id is not None:
        span_attributes[sc.MESSAGING_MESSAGE_ID] = message_id
    user = call_attributes(attributes, (), {})  # validated and redacted like @traced's
    if user:
        span_attributes.update(user)
    parent = propagation.current_context()
    span = tracer.start_span(
        f"send {destination}", context=parent, kind=SpanKind.PRODUCER, attributes=span_attributes
    )
    span_context = trace.set_span_in_context(span, parent)
    propagation.inject(carrier, span_context)
    _stamp_sent_at(carrier)
    return Sending(span, span_context, destination, system)


def _stamp_sent_at(carrier: Any) -> None:
    """The send time, for the consumer's message age; a carrier that refuses it loses nothing."""
    try:
        propagation.HEADER_SETTER.set(carrier, sc.SENT_AT_HEADER, str(time.time_ns()))
    except Exception:
        _log.debug("obskit: cannot write %s into %s", sc.SENT_AT_HEADER, type(carrier).__name__)


class ProducerOperation:
    """``@traced.producer``: a PRODUCER span around a function that publishes."""

    def __init__(
        self,
        destination: str,
        *,
        system: str,
        attributes: dict[str, Any] | Callable[..., dict[str, Any]] | None = None,
        errors: ErrorPolicy | None = None,
    ) -> None:
        self.span_name = f"send {destination}"
        self.base_attributes = _producer_attributes(destination, system, "send")
        check_attributes(attributes)
        self.attributes = attributes
        self.errors = errors

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = sdk_tracer()
        if tracer is None:
            return None
        attributes = dict(self.base_attributes)
        user = call_attributes(self.attributes, args, kwargs)
        if user:
            attributes.update(user)
        parent = propagation.current_context()
        span = tracer.start_span(
            self.span_name, context=parent, kind=SpanKind.PRODUCER, attributes=attributes
        )
        return SpanCall(span, in_context(span, parent), self.errors or STATE.settings.error_policy)

    passes_context = False

    def incoming_headers(self, args: Any, kwargs: Any) -> object:
        return None

    def swallow(self, exc: BaseException) -> bool:
        return False
