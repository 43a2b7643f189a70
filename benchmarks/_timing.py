"""What the benchmarks share: best-of-N per-call timing, the machine, and the SDK they run under."""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Callable
from typing import Any


def per_call_us(function: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Best of ``repeat`` runs of ``number`` calls, in CPU microseconds per call (GC paused).

    CPU time of the whole process (``time.process_time``: an export thread's work counts), so
    the other jobs on a shared machine inflate it less than wall time."""
    for _ in range(max(1, number // 10)):  # warm caches and lazy set-up
        function()
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            for _ in range(number):
                function()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best / number * 1e6


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform(terse=True)}"
    )


def install_sdk() -> None:
    """The SDK every benchmark runs under: a ``TracerProvider`` with a ``BatchSpanProcessor``
    into a discarding exporter, and a ``MeterProvider`` whose reader discards too."""
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        MetricExporter,
        MetricExportResult,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DiscardMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 0, **_: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 0) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 0, **_: Any) -> None:
            return None

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard(), max_queue_size=100_000))
    trace.set_tracer_provider(provider)
    reader = PeriodicExportingMetricReader(DiscardMetrics(), export_interval_millis=60_000)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))


def discarding_log_provider(max_queue_size: int) -> Any:
    """An SDK ``LoggerProvider`` with a ``BatchLogRecordProcessor`` into a discarding exporter
    (not made global: the caller holds it)."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        BatchLogRecordProcessor,
        LogRecordExporter,
        LogRecordExportResult,
    )

    class DiscardLogs(LogRecordExporter):
        def export(self, batch: Any) -> LogRecordExportResult:
            return LogRecordExportResult.SUCCESS

        def shutdown(self) -> None:
            return None

        def force_flush(self, timeout_millis: int = 30_000) -> bool:
            return True

    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(
        BatchLogRecordProcessor(DiscardLogs(), max_queue_size=max_queue_size)
    )
    return provider
