"""The example shop behind ``obskit demo``: three services, seeded problems, and what obskit shows.

``run_demo()`` runs the shop once over the in-memory bus (or a real broker), records everything
it emits, optionally writes it as OTLP/JSON or sends it to a collector, and returns a
:class:`DemoSummary`. It needs no ``configure()``: without one it records through the same
in-memory capture the tests use.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from obskit import _semconv_names as sc
from obskit import _setup, _state
from obskit.conventions import BUILTIN_CONVENTIONS, Registry, load_registry
from obskit.demo._logs import ConventionFinding, findings
from obskit.demo._services import (
    ServiceNameProcessor,
    ServiceResourceLogExporter,
    ServiceResourceSpanExporter,
)
from obskit.demo._shop import CONVENTIONS, SERVICES, Shop, scenario
from obskit.demo._transport import BROKERS, open_transport
from obskit.view import _otlp_json
from obskit.view._otlp_json import TelemetryFile
from obskit.view._waterfall import LATE_AFTER_SECONDS, pick_trace

__all__ = [
    "BROKERS",
    "CONVENTIONS",
    "LATE_AFTER_SECONDS",
    "DemoSummary",
    "run_demo",
]


@dataclass(frozen=True)
class DemoSummary:
    """What one run of the shop emitted, counted; the raw spans and logs ride along."""

    broker: str
    services: tuple[str, ...]
    traces: int
    spans: int
    logs: int
    orders: int
    shipped: int
    rejected: int
    retried: int
    late: int
    out_of_order: int
    errors: int
    findings: tuple[ConventionFinding, ...]
    story: tuple[str, ...]
    interesting_trace_id: str
    export_file: Path | None = None
    #: why ``otlp_endpoint`` did not get the run (unreachable, refused); empty when it did
    otlp_error: str = ""
    #: the same telemetry, decoded from OTLP/JSON (what ``obskit view`` reads)
    telemetry: TelemetryFile = field(default_factory=TelemetryFile, repr=False)
    span_data: tuple[ReadableSpan, ...] = field(default=(), repr=False)
    log_data: tuple[ReadableLogRecord, ...] = field(default=(), repr=False)

    def lines(self) -> list[str]:
        """The summary as plain lines (the CLI prints these)."""
        fixed = sum(1 for f in self.findings if f.fixed_to)
        lines = [
            f"services:    {len(self.services)} ({', '.join(self.services)}) over {self.broker}",
            f"traces:      {self.traces}",
            f"spans:       {self.spans} ({self.errors} with error status)",
            f"logs:        {self.logs}",
            f"outcomes:    {self.orders} orders: {self.shipped} shipped, "
            f"{self.rejected} rejected (business rule)",
            f"messages:    {self.retried} retried (transient), {self.late} late, "
            f"{self.out_of_order} out of order",
            f"conventions: {len(self.findings)} finding(s), {fixed} fixed",
        ]
        lines.extend(
            f"  {f.service} logged {f.key!r}: {f.code}"
            + (f", rewritten to {f.fixed_to!r}" if f.fixed_to else "")
            for f in self.findings
        )
        if self.export_file is not None:
            lines.append(f"telemetry: {self.export_file} (view it: obskit view {self.export_file})")
        return lines


def _attribute(span: ReadableSpan, name: str) -> object:
    return (span.attributes or {}).get(name)


def _is_late(span: ReadableSpan) -> bool:
    age = _attribute(span, sc.OBSKIT_MESSAGE_AGE)
    return isinstance(age, int | float) and age >= LATE_AFTER_SECONDS


def _summarize(
    broker: str,
    spans: tuple[ReadableSpan, ...],
    logs: tuple[ReadableLogRecord, ...],
    findings: list[ConventionFinding],
    story: list[str],
    export_file: Path | None,
) -> DemoSummary:
    def consumers(destination: str) -> list[ReadableSpan]:
        return [
            s
            for s in spans
            if s.kind is SpanKind.CONSUMER
            and _attribute(s, sc.MESSAGING_DESTINATION_NAME) == destination
        ]

    shipping, orders = consumers("shipping"), consumers("orders")
    services = {_attribute(s, _otlp_json.SERVICE_ATTRIBUTE) for s in spans}
    telemetry = _otlp_json.decode([_otlp_json.encode_spans(spans), _otlp_json.encode_logs(logs)])
    return DemoSummary(
        broker=broker,
        services=tuple(s for s in SERVICES if s in services),
        traces=len({s.context.trace_id for s in spans if s.context is not None}),
        spans=len(spans),
        logs=len(logs),
        orders=len([s for s in spans if s.kind is SpanKind.SERVER]),
        shipped=len([s for s in shipping if s.status.status_code is not StatusCode.ERROR]),
        rejected=len([s for s in orders if _attribute(s, sc.OBSKIT_OUTCOME) == "business"]),
        retried=len(
            [
                s
                for s in spans
                if s.kind is SpanKind.CONSUMER
                and _attribute(s, sc.OBSKIT_MESSAGE_REDELIVERED) is True
                and s.status.status_code is not StatusCode.ERROR
            ]
        ),
        late=len([s for s in spans if s.kind is SpanKind.CONSUMER and _is_late(s)]),
        out_of_order=len([s for s in spans if _attribute(s, sc.OBSKIT_MESSAGE_OUT_OF_ORDER)]),
        errors=len([s for s in spans if s.status.status_code is StatusCode.ERROR]),
        findings=tuple(findings),
        story=tuple(story),
        interesting_trace_id=pick_trace(telemetry) or "",
        telemetry=telemetry,
        export_file=export_file,
        span_data=spans,
        log_data=logs,
    )


def _otlp_processors(endpoint: str) -> tuple[SpanProcessor, LogRecordProcessor]:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = endpoint.rstrip("/")
    return (
        BatchSpanProcessor(ServiceResourceSpanExporter(OTLPSpanExporter(f"{base}/v1/traces"))),
        BatchLogRecordProcessor(ServiceResourceLogExporter(OTLPLogExporter(f"{base}/v1/logs"))),
    )


def _send_metrics(endpoint: str, data: MetricsData | None) -> bool:
    """Send the run's metrics; False when the collector did not take them (the one export
    whose result the demo sees: the batch processors only log theirs)."""
    if data is None:
        return True
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics.export import MetricExportResult

    exporter = OTLPMetricExporter(f"{endpoint.rstrip('/')}/v1/metrics")
    try:
        return exporter.export(data) is MetricExportResult.SUCCESS
    finally:
        exporter.shutdown()


def run_demo(
    broker: str = "memory",
    *,
    broker_url: str | None = None,
    export: str | Path | None = None,
    otlp_endpoint: str | None = None,
    registry: Registry | None = None,
) -> DemoSummary:
    """Run the shop once and return what it emitted.

    ``broker`` is ``memory`` (no set-up) or a real broker on this machine (``rabbitmq``,
    ``nats`` or ``redis``); ``export`` writes OTLP/JSON lines; ``otlp_endpoint`` (an OTLP/HTTP
    base URL) sends spans, logs and metrics to a collector, one resource per service.
    The shop logs through ``obskit.get_logger``: lines go where obskit's logging output
    says. Unless ``configure()`` named conventions, ``registry`` (obskit's and the shop's
    ``app.*`` names) in ``fix`` mode is in force for this run only.
    """
    from obskit.testing import capture

    transport = open_transport(broker, broker_url)
    previous = _state.STATE.settings
    if previous.conventions is None and previous.registry is None:
        registry = registry or load_registry(BUILTIN_CONVENTIONS, CONVENTIONS)
        _state.update_settings(dataclasses.replace(previous, registry=registry, mode="fix"))
    mode = _state.STATE.settings.mode
    span_fanout, log_fanout = _setup.attach_sinks()
    stamp = ServiceNameProcessor()
    otlp = _otlp_processors(otlp_endpoint) if otlp_endpoint else None
    try:
        with capture() as captured:
            span_fanout.targets.add(stamp)
            log_fanout.targets.add(stamp, first=True)
            if otlp is not None:
                span_fanout.targets.add(otlp[0])
                log_fanout.targets.add(otlp[1])
            try:
                story = asyncio.run(scenario(Shop(transport)))
            finally:
                span_fanout.targets.remove(stamp)
                log_fanout.targets.remove(stamp)
                if otlp is not None:
                    span_fanout.targets.remove(otlp[0])
                    log_fanout.targets.remove(otlp[1])
            spans, records = captured.spans, captured.logs
            metrics = _state.capture_metric_reader().get_metrics_data()
    finally:
        transport.close()
        _state.update_settings(previous)
    otlp_error = ""
    if otlp is not None and otlp_endpoint is not None:
        for processor in otlp:
            processor.force_flush()
            processor.shutdown()
        if not _send_metrics(otlp_endpoint, metrics):
            otlp_error = f"the collector at {otlp_endpoint} did not accept the telemetry"
    path = Path(export) if export is not None else None
    if path is not None:
        _otlp_json.write(path, spans=spans, logs=records, metrics=metrics)
    summary = _summarize(broker, spans, records, findings(records, mode), story, path)
    return dataclasses.replace(summary, otlp_error=otlp_error)
