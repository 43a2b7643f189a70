"""What real messaging does, noticed and recorded without raising.

Message age (from the producer's send time in the ``obskit-sent-at`` header, else the broker's
timestamp; a negative age means the clocks disagree: it is clamped to zero and flagged),
redelivery and attempt number, duplicates (the same message id again within a bounded window)
and out-of-order arrival (when the handler names a sequence key and number).

Everything is decided before the span starts and goes into the attributes it starts with (one
pass through the SDK's attribute checks, not one locked ``set_attribute`` each); only the events
of what was flagged are added once the span exists.
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

_log = logging.getLogger("obskit.messaging")

Sequencer = Callable[[Any], tuple[str, int]]


def start_attributes(
    attributes: dict[str, Any],
    info: MessageInfo,
    sent: list[str],
    owner: tuple[object, str | None],
    message: Any,
    sequence: Sequencer | None,
) -> bool:
    """Age, attempt, redelivery, duplicates and ordering into the span's start attributes;
    True when :func:`after_start` has something to record (an age, an event).

    ``sent`` holds the ``obskit-sent-at`` header's values; ``owner`` is the consumer and its
    destination: two handlers (or groups) receiving one message is fan-out, not a duplicate."""
    later = False
    try:
        sent_at = _sent_at(sent) if sent else None
        if sent_at is None:
            sent_at = info.timestamp
        if sent_at is not None:
            later = True
            age = time.time() - sent_at
            if age < 0:
                attributes[sc.OBSKIT_MESSAGE_CLOCK_SKEW] = True
                age = 0.0
            attributes[sc.OBSKIT_MESSAGE_AGE] = age
        if info.attempt is not None:
            attributes[sc.OBSKIT_MESSAGE_ATTEMPT] = info.attempt
        redelivered = info.redelivered
        if redelivered is not None:
            attributes[sc.OBSKIT_MESSAGE_REDELIVERED] = redelivered
            later = later or redelivered
        if info.message_id is not None:
            duplicate = STATE.message_ids.seen_before((owner, info.message_id))
            if duplicate and not redelivered:
                attributes[sc.OBSKIT_MESSAGE_DUPLICATE] = later = True
        if sequence is not None:
            key, number = sequence(message)
            number = int(number)
            attributes[sc.OBSKIT_MESSAGE_SEQUENCE_KEY] = str(key)
            attributes[sc.OBSKIT_MESSAGE_SEQUENCE] = number
            overtaken_by = STATE.sequences.advance(key, number)
            if overtaken_by is not None:
                attributes[sc.OBSKIT_MESSAGE_OUT_OF_ORDER] = later = True
                attributes[sc.OBSKIT_MESSAGE_OVERTAKEN_BY] = overtaken_by
    except Exception:
        warn_once(sequence or start_attributes, "message observations failed; the handler runs on")
    return later


def _sent_at(values: list[str]) -> float | None:
    if len(values) != 1:
        return None
    try:
        return int(values[0]) / 1e9
    except ValueError:
        return None


def after_start(span: Span, attributes: dict[str, Any], metric_attributes: dict[str, Any]) -> None:
    """The age metric and the events of what :func:`start_attributes` flagged."""
    try:
        age = attributes.get(sc.OBSKIT_MESSAGE_AGE)
        if age is not None:
            instruments().message_age.record(age, metric_attributes)
        if not span.is_recording():
            return
        if attributes.get(sc.OBSKIT_MESSAGE_REDELIVERED):
            attempt = attributes.get(sc.OBSKIT_MESSAGE_ATTEMPT) or 2
            span.add_event("obskit.message.redelivered", {sc.OBSKIT_MESSAGE_ATTEMPT: attempt})
        if sc.OBSKIT_MESSAGE_DUPLICATE in attributes:
            span.add_event("obskit.message.duplicate")
        if sc.OBSKIT_MESSAGE_OUT_OF_ORDER in attributes:
            span.add_event("obskit.message.out_of_order")
    except Exception:
        warn_once(after_start, "message observations failed; the handler runs on")
