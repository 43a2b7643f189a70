"""In-memory telemetry capture, usable any number of times in one process.

Metrics come from one DELTA reader shared by every capture: reading it consumes what was recorded
since the last read. So one collector reads it and hands every collected point to each capture
open at that moment (the registry ``_open``); a capture collects once when it closes and then
stops receiving, and reading ``Captured.metrics`` collects for all open captures at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from obskit import _setup, _state
from obskit._state import STATE
from obskit.testing._trace import SpanNotFound, TraceTree

MetricPoint = tuple[str, dict[str, Any], Any]

_log = logging.getLogger("obskit")


class Captured:
    """What the code under test emitted while the capture was open."""

    def __init__(self) -> None:
        self._spans = InMemorySpanExporter()
        self._logs = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
        #: filled by the collector while this capture is open (guarded by ``_lock``)
        self._metric_points: list[MetricPoint] = []

    # -- spans --------------------------------------------------------------------------------
    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        """Finished spans, in the order they ended."""
        return tuple(self._spans.get_finished_spans())

    def span(self, name: str, kind: SpanKind | None = None) -> ReadableSpan:
        """The one finished span with this name (and kind); fails clearly if not exactly one."""
        found = self.find_spans(name, kind)
        if len(found) != 1:
            names = sorted({s.name for s in self.spans})
            raise SpanNotFound(
                f"expected exactly one span {name!r}"
                f"{'' if kind is None else f' of kind {kind.name}'}, found {len(found)}; "
                f"spans: {names}"
            )
        return found[0]

    def find_spans(
        self, name: str | None = None, kind: SpanKind | None = None
    ) -> list[ReadableSpan]:
        return [
            s
            for s in self.spans
            if (name is None or s.name == name) and (kind is None or s.kind == kind)
        ]

    def trace(self, span_or_trace_id: ReadableSpan | int) -> TraceTree:
        """The tree of captured spans sharing a trace id."""
        trace_id = (
            span_or_trace_id
            if isinstance(span_or_trace_id, int)
            else span_or_trace_id.context.trace_id
        )
        return TraceTree([s for s in self.spans if s.context.trace_id == trace_id])

    def trace_ids(self) -> list[int]:
        return list(dict.fromkeys(s.context.trace_id for s in self.spans))

    # -- logs ---------------------------------------------------------------------------------
    @property
    def logs(self) -> tuple[ReadableLogRecord, ...]:
        """OpenTelemetry log records emitted through the log bridge."""
        return tuple(self._logs.get_finished_logs())

    # -- metrics ------------------------------------------------------------------------------
    @property
    def metrics(self) -> list[MetricPoint]:
        """``(metric name, attributes, data point)`` recorded while the capture was open."""
        with _lock:
            _collect()
            return list(self._metric_points)

    def metric_points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        return [(attrs, point) for n, attrs, point in self.metrics if n == name]

    def clear(self) -> None:
        self._spans.clear()
        self._logs.clear()
        with _lock:
            _collect()  # other open captures keep what was recorded so far
            self._metric_points.clear()


#: the captures open right now, outermost first; guarded by ``_lock``, as is every
#: ``Captured._metric_points`` and every read of the shared DELTA reader
_open: list[Captured] = []
_lock = threading.RLock()


def _collect() -> None:
    """Read the shared reader once and hand its points to every open capture (under ``_lock``)."""
    reader = _state.captured_metric_reader()
    if reader is None:
        return
    data: MetricsData | None = reader.get_metrics_data()
    points: list[MetricPoint] = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                monotonic = getattr(metric.data, "is_monotonic", False)
                for point in metric.data.data_points:
                    if monotonic and getattr(point, "value", None) == 0:
                        continue  # a pre-aggregated count that did not move
                    points.append((metric.name, dict(point.attributes or {}), point))
    if points:
        for telemetry in _open:
            telemetry._metric_points.extend(points)


def _open_capture(telemetry: Captured) -> None:
    with _lock:
        _collect()  # what was recorded before this capture opened belongs to the outer ones
        if not _open:
            STATE.message_ids.clear()  # only the outermost capture: inner ones keep the
            STATE.sequences.clear()  # outer windows
        _open.append(telemetry)


def _close_capture(telemetry: Captured) -> None:
    with _lock:
        try:
            _collect()  # the last points this capture receives
        finally:
            for index, candidate in enumerate(_open):
                if candidate is telemetry:
                    del _open[index]
                    break


def _warn_if_metrics_unreadable() -> None:
    """obskit's own meter provider without the capture reader: a service that exports and
    imported ``obskit.testing`` only after ``configure()`` (see ``_setup._may_capture``)."""
    if (
        _state.captured_metric_reader() is None
        and _state.meter_provider() in STATE.sinks.created
        and _state.first_time("capture_without_metrics")
    ):
        _log.warning(
            "obskit: capture() sees no metrics: configure() ran before obskit.testing was "
            'imported; import obskit.testing before configure(), or use exporter="memory"'
        )


@contextmanager
def capture() -> Iterator[Captured]:
    """Record spans, logs and metrics in memory for the duration of the block.

    Works without ``configure()`` (obskit then installs SDK providers that record everything),
    after ``configure()``, and beside a host's own SDK providers (metrics are captured only from
    providers obskit set up). Nested and repeated captures each see only their own telemetry.
    """
    import obskit.logging  # noqa: F401  (the log chain: obskit's own events reach the capture)

    _setup.ensure_sdk_for_capture()
    _warn_if_metrics_unreadable()
    span_fanout, log_fanout = _setup.attach_sinks()
    telemetry = Captured()
    span_processor = SimpleSpanProcessor(telemetry._spans)
    log_processor = SimpleLogRecordProcessor(telemetry._logs)
    _open_capture(telemetry)
    span_fanout.targets.add(span_processor)
    log_fanout.targets.add(log_processor)
    try:
        yield telemetry
    finally:
        span_fanout.targets.remove(span_processor)
        log_fanout.targets.remove(log_processor)
        _close_capture(telemetry)
