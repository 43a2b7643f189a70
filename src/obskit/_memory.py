"""What the runtime remembers between calls: bounded windows of seen keys, pre-aggregated counts.

Both belong to one configuration: ``obskit.reset()`` starts them afresh (see ``_state``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Final

from opentelemetry.metrics import CallbackOptions, Observation

from obskit import _semconv_names as sc

__all__ = ["OVERFLOW", "WINDOW", "Tally", "Window"]

WINDOW: Final = 10_000  # message ids and sequence keys remembered per configuration
#: the one series every count past a tally's limit goes to (the SDK's own overflow attribute)
OVERFLOW: Final[dict[str, Any]] = {"otel.metric.overflow": True}


class Window:
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


class Tally:
    """Message counts pre-aggregated in process, reported through an observable counter.

    ``Counter.add`` costs the SDK about 5 microseconds per call (it hashes the attributes into
    its aggregation table each time); a consumer counts every message, so obskit keeps the
    counts itself, keyed by the (constant, per-decorator) attribute dict, and hands the totals
    to the SDK at collection time. The exported data is the same monotonic sum. Past
    ``limit`` series (the SDK's own default cardinality limit), new ones count in
    :data:`OVERFLOW`: memory stays bounded whatever names the application makes up.
    """

    limit: Final = 2000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str | None], list[Any]] = {}

    def add(
        self, attributes: dict[str, Any], error_type: str | None = None, count: int = 1
    ) -> None:
        key = (id(attributes), error_type)
        with self._lock:
            entry = self._counts.get(key)
            if entry is None and len(self._counts) >= self.limit:
                attributes, error_type, key = OVERFLOW, None, (id(OVERFLOW), None)
                entry = self._counts.get(key)
            if entry is None:
                labels = (
                    attributes if error_type is None else {**attributes, sc.ERROR_TYPE: error_type}
                )
                # keep ``attributes`` alive so its id cannot be reused while it is a key
                entry = self._counts[key] = [0, labels, attributes]
            entry[0] += count

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [Observation(count, labels) for count, labels, _ in self._counts.values()]
