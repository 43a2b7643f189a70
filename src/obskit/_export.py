"""Export that never blocks the host, whatever the collector does.

The SDK's batch processors leave three holes a dead, silent, slow or byte-trickling collector
falls through: ``force_flush`` ignores its timeout, a socket read that receives one byte now
and then never times out (so the export thread, and export, stop for good), and each drop
from a full queue logs a warning on the host's thread. obskit's processor keeps the same
model (a bounded queue, one worker thread, batches) and bounds every wait:

- the host's thread only appends to a bounded queue; when it is full the span or log record
  is dropped and counted (``obskit.telemetry.dropped``), never waited for;
- every export call runs with a hard deadline (:func:`run_bounded`); a call that overruns is
  abandoned with its exporter, and a fresh exporter takes over, so a stuck connection never
  stops export for good;
- after a failure the worker backs off (1 s doubling to 30 s) instead of spending the queue on
  a collector that is down; the next attempt after the pause sends one item first (a probe)
  and resumes export once the collector is back;
- ``force_flush(timeout_millis)`` and ``shutdown(timeout_millis)`` return by their deadline;
- after ``fork()`` the child gets an empty queue, a new worker and a new exporter (the parent's
  connections are not the child's to use);
- the OTLP exporters log each retry and each failed batch of an outage into the host's logs:
  :data:`outage_log` lets the first of those lines through, and the next outage's once an export
  has succeeded again (the losses are counted, and warned about once, in ``_losses``).

Metrics keep the SDK's periodic reader (:class:`BoundedMetricReader`), with the same deadline on
each export and a forked child's own exporter.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypeVar

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from obskit._losses import losses

__all__ = [
    "BoundedLogProcessor",
    "BoundedMetricReader",
    "BoundedSpanProcessor",
    "Limits",
    "OutageLog",
    "outage_log",
    "run_all_bounded",
    "run_bounded",
]

_T = TypeVar("_T")
_R = TypeVar("_R")
_E = TypeVar("_E", bound="_Exporter | MetricExporter")

#: seconds between attempts while the collector keeps failing: first, and the most
_FIRST_BACKOFF: Final = 1.0
_MAX_BACKOFF: Final = 30.0


class _Exporter(Protocol):
    def export(self, batch: Sequence[Any], /) -> Any: ...
    def shutdown(self) -> Any: ...


class _Started(Generic[_R]):
    """``call()`` running on a daemon thread, waited for with a deadline."""

    def __init__(self, call: Callable[[], _R]) -> None:
        self._call = call
        self._outcome: list[_R] = []
        self._done = threading.Event()
        threading.Thread(target=self._run, name="obskit-bounded", daemon=True).start()

    def _run(self) -> None:
        try:
            self._outcome.append(self._call())
        except Exception:  # an exporter's or provider's bug: ended, without a result
            pass
        finally:
            self._done.set()

    def wait(self, timeout: float) -> tuple[bool, _R | None]:
        ended = self._done.wait(max(timeout, 0.0))
        return ended, self._outcome[0] if ended and self._outcome else None


def run_bounded(call: Callable[[], _R], timeout: float) -> tuple[bool, _R | None]:
    """``(True, result)`` if ``call()`` ended within ``timeout`` seconds (``result`` is None
    if it raised), else ``(False, None)``, leaving the call to finish (or not) on its own
    daemon thread."""
    return _Started(call).wait(timeout)


def run_all_bounded(
    calls: Sequence[Callable[[], _R]], timeout: float
) -> list[tuple[bool, _R | None]]:
    """All ``calls`` at once, each as :func:`run_bounded`, within one ``timeout``."""
    deadline = time.monotonic() + timeout
    started = [_Started(call) for call in calls]
    return [call.wait(deadline - time.monotonic()) for call in started]


#: gRPC codes the OTLP exporter retries: the collector is unreachable or overloaded, not wrong
_RETRIED_GRPC_CODES: Final = frozenset(
    {"CANCELLED", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED", "OUT_OF_RANGE",
     "UNAVAILABLE", "DATA_LOSS"}
)  # fmt: skip


def _is_outage(record: logging.LogRecord) -> bool:
    """Whether an OTLP exporter's record says the collector could not be reached (a retry, or
    a batch given up for it), rather than that it refused the data (a status worth each line)."""
    template = record.msg
    if not isinstance(template, str):
        return False
    if template.startswith("Transient error") or "due to timeout, max retries" in template:
        return True
    args = record.args if isinstance(record.args, tuple) else ()
    if template.startswith("Failed to export %s batch code:"):  # HTTP: no status at all
        return len(args) > 1 and args[1] is None
    if template.startswith("Failed to export %s to %s, error code:"):  # gRPC
        return len(args) > 2 and getattr(args[2], "name", None) in _RETRIED_GRPC_CODES
    return False


class OutageLog(logging.Filter):
    """Installed on the OTLP exporters' loggers: one line per collector outage reaches the
    host's logs, not one per retry; every other record passes."""

    def __init__(self) -> None:
        super().__init__()
        self._told = False
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_outage(record):
            return True
        with self._lock:
            told, self._told = self._told, True
        return not told

    def ended(self) -> None:
        """An export succeeded: the next outage is told again."""
        self._told = False

    def install(self, *exporter_classes: type) -> None:
        """On the loggers of these exporters' OTLP modules (their mixins' too), once each."""
        modules = {cls.__module__ for made in exporter_classes for cls in made.__mro__}
        for module in sorted(modules):
            logger = logging.getLogger(module)
            if module.startswith("opentelemetry.exporter.otlp") and self not in logger.filters:
                logger.addFilter(self)


outage_log = OutageLog()


class _Replaceable(Generic[_E]):
    """An exporter made by a factory and called with a hard deadline: one that overruns is
    abandoned (its shutdown, on its own thread, cuts its retries short) and a fresh one takes
    over, so a stuck connection never stops export for good; a forked child makes its own (the
    parent's connections are not the child's to use)."""

    def __init__(self, make: Callable[[], _E]) -> None:
        self._make = make
        self.current = make()
        weak = weakref.WeakMethod(self.renew)

        def renew_in_child() -> None:
            renew = weak()
            if renew is not None:
                renew()

        os.register_at_fork(after_in_child=renew_in_child)

    def renew(self) -> None:
        self.current = self._make()

    def run(self, call: Callable[[_E], _R], timeout: float) -> tuple[bool, _R | None]:
        """``call(exporter)`` as :func:`run_bounded`; an exporter that overran is replaced."""
        exporter = self.current
        finished, result = run_bounded(lambda: call(exporter), timeout)
        if not finished:
            self.current = self._make()
            run_bounded(exporter.shutdown, 0)
        return finished, result


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return default


@dataclass(frozen=True)
class Limits:
    """Queue, batch and time limits; the ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` names are honoured."""

    max_queue: int = 2048
    batch: int = 512
    delay: float = 5.0
    #: hard bound on one export call (the exporter's own ``timeout`` plus a grace second)
    export_timeout: float = 11.0
    #: what ``shutdown()`` waits at most when the provider calls it without a timeout
    shutdown_timeout: float = 5.0

    @classmethod
    def from_environment(
        cls, prefix: str, *, export_timeout: float, shutdown_timeout: float
    ) -> Limits:
        return cls(
            max_queue=_env_int(f"{prefix}_MAX_QUEUE_SIZE", 2048),
            batch=_env_int(f"{prefix}_MAX_EXPORT_BATCH_SIZE", 512),
            delay=_env_int(f"{prefix}_SCHEDULE_DELAY", 5000) / 1000,
            export_timeout=export_timeout,
            shutdown_timeout=shutdown_timeout,
        )


@dataclass
class _Flush:
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False


class _Batcher(Generic[_T]):
    """The bounded queue, its worker and the exporter behind it (one per signal)."""

    def __init__(self, signal: str, make_exporter: Callable[[], _Exporter], limits: Limits) -> None:
        self._signal = signal
        self._exporter = _Replaceable(make_exporter)
        self._limits = limits
        self._shutdown = False
        self._shutdown_deadline = 0.0
        self._start()
        weak = weakref.WeakMethod(self._start)

        def restart_in_child() -> None:
            start = weak()
            if start is not None:
                start()

        os.register_at_fork(after_in_child=restart_in_child)

    def _start(self) -> None:
        """Fresh state and worker: at construction, and in a forked child."""
        self._queue: deque[_T] = deque()
        self._flushes: deque[_Flush] = deque()
        self._wake = threading.Event()
        self._backoff = 0.0
        self._retry_at = 0.0
        self._worker = threading.Thread(
            target=self._run, name=f"obskit-export-{self._signal}", daemon=True
        )
        self._worker.start()

    def admit(self) -> bool:
        """Room for one more? If not, the drop is counted here (before any copy is made)."""
        if self._shutdown:
            losses.add(self._signal, "shutdown")
            return False
        if len(self._queue) >= self._limits.max_queue:
            losses.add(self._signal, "queue_full")
            return False
        return True

    def add(self, item: _T) -> None:
        """The host's only cost, after :meth:`admit`: an append."""
        queue = self._queue
        queue.append(item)
        # ">=", not "==": a worker still draining the last batches when the queue passed one
        # batch would otherwise sleep out the schedule delay while the queue fills up
        if len(queue) >= self._limits.batch and not self._wake.is_set():
            self._wake.set()

    def force_flush(self, timeout_millis: float = 30_000) -> bool:
        if self._shutdown:
            return not self._queue
        request = _Flush(deadline=time.monotonic() + timeout_millis / 1000)
        self._flushes.append(request)
        self._wake.set()
        return request.done.wait(timeout_millis / 1000) and request.ok

    def shutdown(self, timeout_millis: float | None = None) -> None:
        if self._shutdown:
            return
        timeout = self._limits.shutdown_timeout if timeout_millis is None else timeout_millis / 1000
        self._shutdown_deadline = time.monotonic() + timeout
        self._shutdown = True
        self._wake.set()
        self._worker.join(timeout)
        left = len(self._queue)
        if left:
            self._queue.clear()
            losses.add(self._signal, "shutdown", left)
        run_bounded(self._exporter.current.shutdown, self._shutdown_deadline - time.monotonic())

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._shutdown:
            now = time.monotonic()
            paused = self._retry_at > now  # backing off a failing collector
            self._wake.wait(self._retry_at - now if paused else self._limits.delay)
            self._wake.clear()
            if self._shutdown:
                break
            if self._flushes:
                self._serve_flushes()
            elif time.monotonic() >= self._retry_at:
                self._drain(time.monotonic() + self._limits.export_timeout)
        self._drain(self._shutdown_deadline)

    def _serve_flushes(self) -> None:
        """A flush is an explicit request: it tries the collector even while backing off."""
        requests = [self._flushes.popleft() for _ in range(len(self._flushes))]
        ok = self._drain(max(request.deadline for request in requests))
        for request in requests:
            request.ok = ok
            request.done.set()

    def _drain(self, deadline: float) -> bool:
        """Export what is queued now, batch by batch, until done, a failure or the deadline.

        After a failure the first batch is a single item, a probe: a collector that is still
        down costs one item encoded and dropped, not a batch, and the queue stays full, so
        the host's threads keep to the cheapest path (a span or record refused at the door)."""
        queue = self._queue
        left = len(queue)
        while left > 0 and queue:
            if time.monotonic() >= deadline:
                return False
            size = 1 if self._backoff else self._limits.batch
            batch = [queue.popleft() for _ in range(min(len(queue), size))]
            left -= len(batch)
            if not self._export(batch, deadline):
                return False
        return True

    def _export(self, batch: list[_T], deadline: float) -> bool:
        timeout = min(self._limits.export_timeout, deadline - time.monotonic())
        finished, result = self._exporter.run(lambda exporter: exporter.export(batch), timeout)
        if finished and getattr(result, "name", None) == "SUCCESS":  # every SDK result enum
            outage_log.ended()
            self._backoff = 0.0
            self._retry_at = 0.0
            return True
        losses.add(self._signal, "export_failed" if finished else "export_timeout", len(batch))
        self._backoff = min(max(self._backoff * 2, _FIRST_BACKOFF), _MAX_BACKOFF)
        self._retry_at = time.monotonic() + self._backoff
        return False


class BoundedSpanProcessor(SpanProcessor):
    """A batch span processor whose every wait is bounded (see the module docstring)."""

    def __init__(self, make_exporter: Callable[[], _Exporter], limits: Limits) -> None:
        self._batcher: _Batcher[ReadableSpan] = _Batcher("span", make_exporter, limits)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is not None and context.trace_flags.sampled and self._batcher.admit():
            self._batcher.add(span)

    def shutdown(self) -> None:
        self._batcher.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._batcher.force_flush(timeout_millis)


class BoundedLogProcessor(LogRecordProcessor):
    """A batch log record processor whose every wait is bounded (see the module docstring)."""

    def __init__(self, make_exporter: Callable[[], _Exporter], limits: Limits) -> None:
        self._batcher: _Batcher[ReadableLogRecord] = _Batcher("log", make_exporter, limits)

    def admit(self) -> bool:
        """Room for one more record? If not, its drop is counted now (the log bridge asks
        before it builds one)."""
        return self._batcher.admit()

    def add(self, record: ReadableLogRecord) -> None:
        """Queue a record the log bridge built ready for export, after :meth:`admit` (obskit's
        own providers: no ``ReadWriteLogRecord`` and no copy on the host's thread)."""
        self._batcher.add(record)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if not self._batcher.admit():
            return
        # as the SDK's batch processor: a read-only copy that does not keep the context alive
        record = copy.copy(log_record.log_record)
        record.context = Context()
        self._batcher.add(
            ReadableLogRecord(
                log_record=record,
                resource=log_record.resource or Resource.create({}),
                instrumentation_scope=log_record.instrumentation_scope,
                limits=log_record.limits,
            )
        )

    def shutdown(self) -> None:
        self._batcher.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._batcher.force_flush(timeout_millis)


class _BoundedMetricExporter(MetricExporter):
    """The metric exporter behind :class:`BoundedMetricReader`: each export has a deadline."""

    def __init__(self, make_exporter: Callable[[], MetricExporter], export_timeout: float) -> None:
        self._exporter = _Replaceable(make_exporter)
        self._timeout = export_timeout
        first = self._exporter.current
        super().__init__(
            preferred_temporality=first._preferred_temporality,
            preferred_aggregation=first._preferred_aggregation,
        )

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        finished, result = self._exporter.run(
            lambda exporter: exporter.export(metrics_data, timeout_millis=timeout_millis),
            min(self._timeout, timeout_millis / 1000),
        )
        if not finished or result is None:
            return MetricExportResult.FAILURE
        if result is MetricExportResult.SUCCESS:
            outage_log.ended()
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True  # nothing is held here: the reader hands each collection to export()

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        # the SDK's reader passes what is left of its own deadline as ``timeout`` (ms)
        run_bounded(self._exporter.current.shutdown, kwargs.get("timeout", timeout_millis) / 1000)


class BoundedMetricReader(PeriodicExportingMetricReader):
    """The SDK's periodic metric reader with obskit's bounds: an export that overruns is
    abandoned with its exporter (a trickling collector would otherwise hold the reader's thread,
    and metric export, for good), and a forked child exports through its own exporter."""

    def __init__(self, make_exporter: Callable[[], MetricExporter], export_timeout: float) -> None:
        super().__init__(
            _BoundedMetricExporter(make_exporter, export_timeout),
            export_timeout_millis=export_timeout * 1000,
        )

    def _at_fork_reinit(self) -> None:
        # the parent's reader thread may have been exporting at the fork: its lock would stay
        # held in the child, whose first collection would then wait for ever
        self._export_lock = threading.Lock()
        super()._at_fork_reinit()  # type: ignore[no-untyped-call]
