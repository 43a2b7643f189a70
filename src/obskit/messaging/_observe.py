"""What real messaging does, noticed and recorded without raising.

Message age (from the producer's send time in the ``obskit-sent-at`` header, else the broker's
timestamp; a negative age means the clocks disagree: it is clamped to zero and flagged),
redelivery and attempt number, duplicates (the same message id again within a bounded window)
and out-of-order arrival (when the handler names a sequence key and number).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.trace import Span

from obskit import _semconv_names as sc
from obskit._providers import instruments
from obskit._spans import warn_once
from obskit.messaging._adapter import MessageInfo
from obskit.propagation import header_values

_log = logging.getLogger("obskit.messaging")

WINDOW: Final = 10_000  # message ids and sequence keys remembered per process


class _Window:
    """A bounded, thread-safe memory of recent keys (oldest forgotten first).

    Keys are kept as their 64-bit hash, never themselves: every entry has the same size, so
    the window is bounded in bytes (about 1 MB for 10,000 entries) however long the message ids
    or sequence keys are. Two different keys sharing a hash within one window is a 1 in 10^11
    event."""

    def __init__(self, size: int = WINDOW) -> None:
        self.size = size
        self._items: OrderedDict[int, int] = OrderedDict()
        self._lock = threading.Lock()

    def seen_before(self, key: Any) -> bool:
        key = hash(key)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True
            self._items[key] = 0
            if len(self._items) > self.size:
                self._items.popitem(last=False)
            return False

    def advance(self, key: Any, number: int) -> int | None:
        """Remember ``number`` for ``key``; the higher one already seen, if any (overtaken)."""
        key = hash(key)
        with self._lock:
            highest = self._items.get(key)
            if highest is not None and number < highest:
                return highest
            self._items[key] = number
            self._items.move_to_end(key)
            if len(self._items) > self.size:
                self._items.popitem(last=False)
            return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


message_ids = _Window()
sequences = _Window()
clock_skew_count = [0]


def reset() -> None:
    """Forget remembered ids and sequences (tests)."""
    message_ids.clear()
    sequences.clear()
    clock_skew_count[0] = 0


def sent_at(headers: object) -> float | None:
    values = header_values(headers, sc.SENT_AT_HEADER)
    if len(values) != 1:
        return None
    try:
        return int(values[0]) / 1e9
    except ValueError:
        return None


def observe(
    span: Span,
    info: MessageInfo,
    message: Any,
    sequence: Callable[[Any], tuple[str, int]] | None,
    metric_attributes: dict[str, Any],
    consumer: object = None,
) -> None:
    if not span.is_recording():
        return
    try:
        _observe(span, info, message, sequence, metric_attributes, consumer)
    except Exception:
        warn_once(sequence or observe, "message observations failed; the handler runs on")


def _observe(
    span: Span,
    info: MessageInfo,
    message: Any,
    sequence: Callable[[Any], tuple[str, int]] | None,
    metric_attributes: dict[str, Any],
    consumer: object = None,
) -> None:
    sent = sent_at(info.headers) if info.headers is not None else None
    if sent is None:
        sent = info.timestamp
    if sent is not None:
        age = time.time() - sent
        if age < 0:
            clock_skew_count[0] += 1
            span.set_attribute(sc.OBSKIT_MESSAGE_CLOCK_SKEW, True)
            age = 0.0
        span.set_attribute(sc.OBSKIT_MESSAGE_AGE, age)
        instruments().message_age.record(age, metric_attributes)
    if info.attempt is not None:
        span.set_attribute(sc.OBSKIT_MESSAGE_ATTEMPT, info.attempt)
    if info.redelivered is not None:
        span.set_attribute(sc.OBSKIT_MESSAGE_REDELIVERED, info.redelivered)
        if info.redelivered:
            span.add_event(
                "obskit.message.redelivered", {sc.OBSKIT_MESSAGE_ATTEMPT: info.attempt or 2}
            )
    if info.message_id is not None:
        # per consumer: two handlers (or groups) receiving one message is fan-out, not a duplicate
        destination = metric_attributes.get(sc.MESSAGING_DESTINATION_NAME) or info.destination
        duplicate = message_ids.seen_before((consumer, destination, info.message_id))
        if duplicate and not info.redelivered:
            span.set_attribute(sc.OBSKIT_MESSAGE_DUPLICATE, True)
            span.add_event("obskit.message.duplicate")
    if sequence is not None:
        key, number = sequence(message)
        span.set_attribute(sc.OBSKIT_MESSAGE_SEQUENCE_KEY, str(key))
        span.set_attribute(sc.OBSKIT_MESSAGE_SEQUENCE, int(number))
        overtaken_by = sequences.advance(key, int(number))
        if overtaken_by is not None:
            span.set_attribute(sc.OBSKIT_MESSAGE_OUT_OF_ORDER, True)
            span.set_attribute(sc.OBSKIT_MESSAGE_OVERTAKEN_BY, overtaken_by)
            span.add_event("obskit.message.out_of_order")
