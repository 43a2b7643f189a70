"""``settled()``: what the handler told the broker to do with the message, on the consumer span.

The consumer's call (its span and outcome) is found through a context key that
``@traced.consumer`` sets, so a call from inside a child span (or a helper several frames down)
still lands on the right span.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Literal, get_args

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Span

from obskit import _semconv_names as sc

__all__ = ["CONSUMER_CALL_KEY", "Settlement", "settled"]

_log = logging.getLogger("obskit.messaging")

Settlement = Literal["ack", "nack", "requeue", "retry", "reject", "dead_letter"]
_ORDER: Final = ", ".join(get_args(Settlement))
_OUTCOMES: Final = frozenset(get_args(Settlement))

#: the call (``.span``, ``.kind``, ``.failed()``) of the message being handled, set by
#: ``@traced.consumer``
CONSUMER_CALL_KEY: Final = context_api.create_key("obskit-consumer-call")


def consumer_call() -> Any:
    """The consumer call of the message being handled, or None (outside one, or no SDK)."""
    return context_api.get_value(CONSUMER_CALL_KEY)


def consumer_span(*, fallback: bool = True) -> Span | None:
    """The span of the message being handled; outside a consumer, the current span (or None)."""
    call = consumer_call()
    if call is not None:
        span: Span = call.span
        return span
    return trace.get_current_span() if fallback else None


def settled(outcome: Settlement, *, requeue: bool | None = None) -> None:
    """Record ``obskit.message.settlement`` on the current consumer span; never raises.

    ``settled("nack", requeue=True)`` (or ``"reject"`` with ``requeue=True``) records
    ``requeue``: the message will come back. The last call in a handler wins.
    """
    record(outcome, requeue=requeue, span=consumer_span())


def record(outcome: str, *, requeue: bool | None, span: Span | None) -> None:
    if outcome not in _OUTCOMES:
        _log.warning("obskit: unknown settlement %r (expected one of %s)", outcome, _ORDER)
        return
    if requeue and outcome in ("nack", "reject"):
        outcome = "requeue"
    if span is not None and span.is_recording():
        span.set_attribute(sc.OBSKIT_MESSAGE_SETTLEMENT, outcome)
