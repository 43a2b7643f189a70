"""What real messaging does, noticed and recorded without raising.

Message age (from the producer's send time in the ``obskit-sent-at`` header, else the broker's
timestamp; a negative age means the clocks disagree: it is clamped to zero and flagged),
redelivery and attempt number, duplicates (the same message id again within a bounded window)
and out-of-order arrival (when the handler names a sequence key and number).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import Span

from obskit import _semconv_names as sc
from obskit._providers import instruments
from obskit._spans import warn_once
from obskit._state import STATE
from obskit.messaging._adapter import MessageInfo
from obskit.propagation import header_values

_log = logging.getLogger("obskit.messaging")


def sent_at(headers: object) -> float | None:
    values = header_values(headers, sc.SENT_AT_HEADER)
    if len(values) != 1:
        return None
    try:
        return int(values[0]) / 1e9
    except ValueError:
        return None


def start_attributes(info: MessageInfo, attributes: dict[str, Any]) -> float | None:
    """Age, attempt and redelivery into the attributes the span starts with (one pass through
    the SDK's attribute checks, not one locked ``set_attribute`` each); returns the age."""
    try:
        sent = sent_at(info.headers) if info.headers is not None else None
        if sent is None:
            sent = info.timestamp
        age = None
        if sent is not None:
            age = time.time() - sent
            if age < 0:
                attributes[sc.OBSKIT_MESSAGE_CLOCK_SKEW] = True
                age = 0.0
            attributes[sc.OBSKIT_MESSAGE_AGE] = age
        if info.attempt is not None:
            attributes[sc.OBSKIT_MESSAGE_ATTEMPT] = info.attempt
        if info.redelivered is not None:
            attributes[sc.OBSKIT_MESSAGE_REDELIVERED] = info.redelivered
        return age
    except Exception:
        warn_once(start_attributes, "message observations failed; the handler runs on")
        return None


def observe(
    span: Span,
    info: MessageInfo,
    message: Any,
    sequence: Callable[[Any], tuple[str, int]] | None,
    metric_attributes: dict[str, Any],
    consumer: object = None,
    age: float | None = None,
) -> None:
    """What needs the started span: the age metric, events, the duplicate window, ordering."""
    if not span.is_recording():
        return
    try:
        _observe(span, info, message, sequence, metric_attributes, consumer, age)
    except Exception:
        warn_once(sequence or observe, "message observations failed; the handler runs on")


def _observe(
    span: Span,
    info: MessageInfo,
    message: Any,
    sequence: Callable[[Any], tuple[str, int]] | None,
    metric_attributes: dict[str, Any],
    consumer: object,
    age: float | None,
) -> None:
    if age is not None:
        instruments().message_age.record(age, metric_attributes)
    if info.redelivered:
        span.add_event("obskit.message.redelivered", {sc.OBSKIT_MESSAGE_ATTEMPT: info.attempt or 2})
    if info.message_id is not None:
        # per consumer: two handlers (or groups) receiving one message is fan-out, not a duplicate
        destination = metric_attributes.get(sc.MESSAGING_DESTINATION_NAME) or info.destination
        duplicate = STATE.message_ids.seen_before((consumer, destination, info.message_id))
        if duplicate and not info.redelivered:
            span.set_attribute(sc.OBSKIT_MESSAGE_DUPLICATE, True)
            span.add_event("obskit.message.duplicate")
    if sequence is not None:
        key, number = sequence(message)
        span.set_attribute(sc.OBSKIT_MESSAGE_SEQUENCE_KEY, str(key))
        span.set_attribute(sc.OBSKIT_MESSAGE_SEQUENCE, int(number))
        overtaken_by = STATE.sequences.advance(key, int(number))
        if overtaken_by is not None:
            span.set_attribute(sc.OBSKIT_MESSAGE_OUT_OF_ORDER, True)
            span.set_attribute(sc.OBSKIT_MESSAGE_OVERTAKEN_BY, overtaken_by)
            span.add_event("obskit.message.out_of_order")
