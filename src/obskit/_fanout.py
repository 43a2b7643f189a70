"""Span and log processors whose targets can be added and removed at run time.

The OpenTelemetry API lets a process set its global providers once. obskit attaches one fan-out
processor to whichever SDK providers are global (its own, or the host's) and plugs exporters in
and out of it: ``capture()`` in tests, the ``memory`` exporter, a CLI ``--export`` file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

_T = TypeVar("_T")
_log = logging.getLogger("obskit")


class _Targets(Generic[_T]):
    """Copy-on-write list: readers on the hot path never take the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: tuple[_T, ...] = ()

    def add(self, item: _T, *, first: bool = False) -> None:
        """Add a target; ``first`` for one that must see each record before the exporters."""
        with self._lock:
            self.items = (item, *self.items) if first else (*self.items, item)

    def remove(self, item: _T) -> None:
        with self._lock:
            self.items = tuple(i for i in self.items if i is not item)


class SpanFanout(SpanProcessor):
    def __init__(self) -> None:
        self.targets: _Targets[SpanProcessor] = _Targets()
        #: sets attributes on each span as it starts (chosen baggage); None: nothing to add
        self.start_attributes: Callable[[Context | None], dict[str, Any] | None] | None = None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        add = self.start_attributes
        if add is not None:
            try:
                attributes = add(parent_context)
                if attributes:
                    span.set_attributes(attributes)
            except Exception:  # a span without its baggage beats a span that never starts
                _log.debug("obskit: copying baggage onto a span failed", exc_info=True)
        for target in self.targets.items:
            target.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for target in self.targets.items:
            target.on_end(span)

    def shutdown(self) -> None:
        for target in self.targets.items:
            target.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(target.force_flush(timeout_millis) for target in self.targets.items)


class LogFanout(LogRecordProcessor):
    def __init__(self) -> None:
        self.targets: _Targets[LogRecordProcessor] = _Targets()

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        for target in self.targets.items:
            target.on_emit(log_record)

    def shutdown(self) -> None:
        for target in self.targets.items:
            target.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(target.force_flush(timeout_millis) for target in self.targets.items)
