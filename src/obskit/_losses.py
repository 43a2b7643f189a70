"""Telemetry obskit had to drop: counted, reported once, never silent.

A log line the stream refused, a span or log record the export queue had no room for, a batch
a dead collector never took: each is counted here by signal and reason, exported as the
``obskit.telemetry.dropped`` counter, and announced by one warning per signal written straight
to file descriptor 2 (no Python stream, lock or logging on the way, so it cannot fail the same
way or loop back into the log chain).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from obskit import _semconv_names as sc

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation

__all__ = ["Losses", "fallback_warning", "losses"]


def fallback_warning(text: str) -> None:
    """One line on file descriptor 2, whatever state Python's streams and logging are in."""
    with contextlib.suppress(OSError):
        os.write(2, f"obskit: {text}\n".encode("utf-8", "backslashreplace"))


class Losses:
    """Counts by ``(signal, reason)``; the first drop of each signal says so once."""

    def __init__(self) -> None:
        self.reset()

    def add(self, signal: str, reason: str, count: int = 1) -> None:
        """Count a drop; on a dead collector this runs for every span, so it stays cheap."""
        key = (signal, reason)
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + count
            if signal in self._warned:
                return
            self._warned.add(signal)
        counter = sc.METRIC_TELEMETRY_DROPPED
        fallback_warning(f"dropping {signal} ({reason}); every drop is counted in {counter}")

    def summary(self) -> str:
        """``"3 span, 12 log dropped"``: the totals for a last word at shutdown."""
        with self._lock:
            totals: dict[str, int] = {}
            for (signal, _), count in self.counts.items():
                totals[signal] = totals.get(signal, 0) + count
        return ", ".join(f"{n} {signal}" for signal, n in totals.items()) + " dropped"

    def total(self, signal: str) -> int:
        with self._lock:
            return sum(n for (s, _), n in self.counts.items() if s == signal)

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        with self._lock:
            return [
                Observation(count, {sc.OBSKIT_TELEMETRY_SIGNAL: signal, sc.ERROR_TYPE: reason})
                for (signal, reason), count in self.counts.items()
            ]

    def reset(self) -> None:
        """Start over: tests, and a forked child (the parent's drops are the parent's, and a
        lock another thread held at the fork would stay held here)."""
        # re-entrant: a signal handler may log (and drop) while this thread is counting
        self._lock = threading.RLock()
        self.counts: dict[tuple[str, str], int] = {}
        self._warned: set[str] = set()


losses = Losses()
os.register_at_fork(after_in_child=losses.reset)
