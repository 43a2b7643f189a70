"""OTLP/JSON lines out: the encoding, and ``configure(exporter="file")``'s exporters.

A line per export, ``{"resourceSpans": [...]}``, ``{"resourceLogs": [...]}`` or
``{"resourceMetrics": [...]}``, exactly as the OpenTelemetry Collector's file exporter writes:
encoded by the OTLP exporters' own protobuf encoders, then protobuf's JSON with trace and span
ids as lowercase hex (OTLP/JSON's one difference from protobuf's canonical mapping). The file is
rotated by size, the Collector's way: the full file becomes ``name-<UTC time>.ext`` and the
oldest backups beyond ``backups`` are removed. ``obskit view``, ``obskit check`` and
``obskit serve --load`` read these files.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = [
    "FileSink",
    "dumps",
    "file_exporters",
    "log_document",
    "metric_document",
    "span_document",
]

Document = dict[str, Any]
MAX_BYTES: Final = 100 * 1024 * 1024  # per file, before it is rotated
BACKUPS: Final = 5  # rotated files kept
_ID_KEYS: Final = frozenset({"traceId", "spanId", "parentSpanId"})


def _to_document(message: Any) -> Document:
    from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped, unused-ignore]

    document: Document = MessageToDict(message, use_integers_for_enums=True)
    _hex_ids(document)
    return document


def _hex_ids(node: Any) -> None:
    """Rewrite protobuf JSON's base64 ``bytes`` ids as OTLP/JSON's hex, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = _b64_to_hex(value)
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)


def _b64_to_hex(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return value


def span_document(spans: Sequence[ReadableSpan]) -> Document:
    """``{"resourceSpans": [...]}`` for finished SDK spans."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    document = _to_document(encode_spans(spans)) if spans else {}
    document.setdefault("resourceSpans", [])
    return document


def log_document(logs: Sequence[ReadableLogRecord]) -> Document:
    """``{"resourceLogs": [...]}`` for SDK log records."""
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs

    document = _to_document(encode_logs(logs)) if logs else {}
    document.setdefault("resourceLogs", [])
    return document


def metric_document(data: MetricsData | None) -> Document:
    """``{"resourceMetrics": [...]}`` for what a metric reader collected."""
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

    document = _to_document(encode_metrics(data)) if data is not None else {}
    document.setdefault("resourceMetrics", [])
    return document


def dumps(documents: Iterable[Document]) -> str:
    """One compact JSON document per line, as the Collector's file exporter writes."""
    return "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in documents)


class FileSink:
    """One JSON-lines file shared by the three exporters, rotated when it outgrows ``max_bytes``."""

    def __init__(self, path: str | Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()

    def write(self, document: Document) -> None:
        line = dumps([document]).encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(line) > self.max_bytes:
                self._rotate()
            with self.path.open("ab") as out:
                out.write(line)

    def _rotate(self) -> None:
        now = datetime.now(timezone.utc)
        while True:  # names sort in rotation order; two rotations never share one
            stamp = now.strftime("%Y-%m-%dT%H-%M-%S.%f")
            target = self.path.with_name(f"{self.path.stem}-{stamp}{self.path.suffix}")
            if not target.exists():
                break
            now += timedelta(microseconds=1)
        self.path.rename(target)
        for old in self.rotated()[: -self.backups or None]:
            old.unlink(missing_ok=True)

    def rotated(self) -> list[Path]:
        """The rotated files, oldest first."""
        pattern = f"{self.path.stem}-*{self.path.suffix}"
        return sorted(p for p in self.path.parent.glob(pattern) if p != self.path)


class _FileSpanExporter(SpanExporter):
    def __init__(self, sink: FileSink) -> None:
        self.sink = sink

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self.sink.write(span_document(spans))
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


class _FileLogExporter(LogRecordExporter):
    def __init__(self, sink: FileSink) -> None:
        self.sink = sink

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        try:
            self.sink.write(log_document(batch))
        except OSError:
            return LogRecordExportResult.FAILURE
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held open: each export appends and closes."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class _FileMetricExporter(MetricExporter):
    def __init__(self, sink: FileSink) -> None:
        super().__init__()
        self.sink = sink

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **_: Any
    ) -> MetricExportResult:
        try:
            self.sink.write(metric_document(metrics_data))
        except OSError:
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        """Nothing held open: each export appends and closes."""


def file_exporters(
    path: str | Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> tuple[SpanExporter, LogRecordExporter, MetricExporter]:
    """Span, log and metric exporters writing OTLP/JSON lines to one rotated file."""
    sink = FileSink(path, max_bytes=max_bytes, backups=backups)
    return _FileSpanExporter(sink), _FileLogExporter(sink), _FileMetricExporter(sink)
