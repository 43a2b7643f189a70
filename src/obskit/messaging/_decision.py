"""What the ErrorPolicy says to do with a handled message: acknowledge, retry later, or park it.

A pure function of the outcome and the attempt, so every broker, the in-memory bus and the
tests agree on one rule:

- success or a business refusal: acknowledge (a recorded outcome never starts a retry chain);
- a poison message: dead-letter at once (it can never succeed);
- a transient or unexpected failure: retry while ``attempt < max_attempts``, then dead-letter.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass

from obskit.errors import ErrorKind, RetryDelay, exponential_backoff

__all__ = ["Settle", "SettlementDecision", "decide_settlement", "retry_delay_for"]

_log = logging.getLogger("obskit.messaging")

#: a retry is never parked longer than a day (an infinite delay would lose the message)
_MAX_DELAY = 86_400.0


class Settle(str, enum.Enum):
    """The three things a settling consumer does; the values are ``obskit.message.settlement``."""

    ACK = "ack"
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True, slots=True)
class SettlementDecision:
    """``action`` for ``attempt``; a retry runs as ``next_attempt`` after ``delay`` seconds."""

    action: Settle
    attempt: int
    delay: float = 0.0

    @property
    def next_attempt(self) -> int:
        return self.attempt + 1


def decide_settlement(
    kind: ErrorKind | None,
    attempt: int | None,
    *,
    max_attempts: int = 5,
    retry_delay: RetryDelay = exponential_backoff,
) -> SettlementDecision:
    """The settlement for a message whose handler ended with ``kind`` (None: it succeeded).

    ``attempt`` counts from 1 (None or less: a first delivery). ``max_attempts`` is the total
    number of deliveries, so ``max_attempts=1`` never retries.
    """
    attempt = attempt if attempt is not None and attempt >= 1 else 1
    if kind is None or kind is ErrorKind.BUSINESS:
        return SettlementDecision(Settle.ACK, attempt)
    if kind is ErrorKind.POISON or attempt >= max_attempts:
        return SettlementDecision(Settle.DEAD_LETTER, attempt)
    return SettlementDecision(Settle.RETRY, attempt, retry_delay_for(retry_delay, attempt))


def retry_delay_for(retry_delay: RetryDelay, attempt: int) -> float:
    """Seconds to wait after ``attempt`` failed; a raising or nonsensical delay means "at once"."""
    try:
        seconds = float(retry_delay(attempt) if callable(retry_delay) else retry_delay)
    except Exception:
        _log.warning(
            "obskit: retry_delay raised for attempt %d; retrying at once", attempt, exc_info=True
        )
        return 0.0
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return min(seconds, _MAX_DELAY)
