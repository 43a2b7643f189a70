"""``configure()``: providers, exporters, resource, the ``OTEL_*`` environment, shutdown.

All of obskit's global state lives here, in one object. obskit never holds a private provider:
instrumentation looks tracers and meters up through the OpenTelemetry API on use, so a host that
sets up OpenTelemetry itself (or runs under ``opentelemetry-instrument``) gets obskit's telemetry
through its own providers.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    ConsoleLogRecordExporter,
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    InMemoryMetricReader,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler

from obskit._export import BoundedLogProcessor, BoundedSpanProcessor, Limits, run_all_bounded
from obskit._fanout import LogFanout, SpanFanout
from obskit._forksafe import ForkSafeLock
from obskit._instance import SERVICE_INSTANCE_ID, new_instance_id, renew_after_fork
from obskit._losses import fallback_warning, losses
from obskit._providers import instruments
from obskit.errors import ErrorPolicy

if TYPE_CHECKING:
    from obskit.conventions import Registry

__all__ = ["Mode", "Telemetry", "configure", "get_settings"]

Exporter = Literal["otlp", "console", "memory", "file", "none"]
Mode = Literal["off", "warn", "fix", "strict"]
_EXPORTERS = ("otlp", "console", "memory", "file", "none")
_MODES = ("off", "warn", "fix", "strict")

_log = logging.getLogger("obskit")


@dataclass
class Settings:
    """What instrumentation reads on every call; replaced as a whole, never half-updated."""

    error_policy: ErrorPolicy = field(default_factory=ErrorPolicy)
    mode: Mode = "warn"
    conventions: Any = None  # a path, a list of paths, or a Registry; resolved lazily
    registry: Registry | None = None
    #: the user's own redaction patterns, on top of the built-in rule
    redact_patterns: tuple[str | re.Pattern[str], ...] = ()
    #: hosts outgoing HTTP calls may carry baggage to; None: every host
    baggage_hosts: frozenset[str] | None = None


_settings = Settings()


def get_settings() -> Settings:
    return _settings


def swap_settings(settings: Settings) -> Settings:
    """Put ``settings`` in force and return the ones they replace (to put back afterwards)."""
    global _settings
    previous, _settings = _settings, settings
    return previous


def reset_settings() -> None:
    """Back to defaults (test suites call this between tests)."""
    global _settings
    _settings = Settings()


@dataclass
class MemoryTelemetry:
    """The ``memory`` exporter's stores, read by ``obskit.testing`` and the demo."""

    spans: InMemorySpanExporter
    logs: InMemoryLogRecordExporter
    metrics: InMemoryMetricReader | None


@dataclass
class _Sinks:
    """The fan-out processors attached to the global SDK providers, once per process."""

    spans: SpanFanout = field(default_factory=SpanFanout)
    logs: LogFanout = field(default_factory=LogFanout)
    attached_to: set[int] = field(default_factory=set)
    metric_reader: InMemoryMetricReader | None = None
    #: whether that reader belongs to the global MeterProvider (only when obskit created it)
    metric_reader_attached: bool = False
    #: obskit's own LoggerProvider when it has no exporter (``exporter="none"``, or set up for
    #: capture): a record given to it reaches only the fan-out's targets
    quiet_logs: object = None
    #: obskit's own LoggerProvider and its export queue: while the queue has no room (a dead
    #: collector), a record would only be dropped, so the bridge does not build it
    log_export: tuple[object, BoundedLogProcessor] | None = None


_sinks = _Sinks()
_lock = ForkSafeLock(threading.RLock)


class Telemetry:
    """The handle ``configure()`` returns: flush and shut down what it set up."""

    def __init__(
        self,
        *,
        service_name: str,
        exporter: str,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider | None,
        logger_provider: LoggerProvider | None,
        memory: MemoryTelemetry | None,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.service_name = service_name
        self.shutdown_timeout = shutdown_timeout
        self.exporter = exporter
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.logger_provider = logger_provider
        self.memory = memory
        self._shut_down = False

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export what is queued; returns by ``timeout_millis`` whatever the collector does
        (False then, or when an export failed)."""
        results = run_all_bounded(
            [partial(provider.force_flush, timeout_millis) for provider in self._providers()],
            timeout_millis / 1000,
        )
        return all(finished and result is not False for finished, result in results)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop exporting within ``timeout`` seconds (default: ``shutdown_timeout``
        given to ``configure()``) whatever the collector does; False if that was not enough.
        Safe to call more than once; it also runs at exit and when a ``multiprocessing``
        child ends."""
        if self._shut_down:
            return True
        self._shut_down = True
        budget = self.shutdown_timeout if timeout is None else timeout
        calls = [
            partial(provider.shutdown, timeout_millis=budget * 1000)
            if isinstance(provider, MeterProvider)
            else provider.shutdown  # obskit's processors bound themselves by shutdown_timeout
            for provider in self._providers()
        ]
        finished = all(done for done, _ in run_all_bounded(calls, budget))
        if not finished:
            fallback_warning(
                f"telemetry shutdown gave up after {budget:g} s ({losses.summary()} so far)"
            )
        return finished

    def _providers(self) -> list[TracerProvider | MeterProvider | LoggerProvider]:
        return [
            provider
            for provider in (self.tracer_provider, self.meter_provider, self.logger_provider)
            if provider is not None
        ]

    def __repr__(self) -> str:
        return f"Telemetry(service_name={self.service_name!r}, exporter={self.exporter!r})"


_configured: Telemetry | None = None


def configure(
    service_name: str | None = None,
    *,
    service_version: str | None = None,
    environment: str | None = None,
    exporter: Exporter | None = None,
    endpoint: str | None = None,
    protocol: Literal["grpc", "http/protobuf"] | None = None,
    sampler: Sampler | None = None,
    conventions: str | Path | Sequence[str | Path] | Registry | None = None,
    mode: Mode = "warn",
    errors: ErrorPolicy | None = None,
    resource_attributes: dict[str, str] | None = None,
    redact_patterns: Sequence[str | re.Pattern[str]] = (),
    baggage_hosts: Sequence[str] | None = None,
    path: str | Path | None = None,
    shutdown_timeout: float = 5.0,
) -> Telemetry:
    """Set up tracing, metrics and logs for this service; call once, early.

    ``exporter`` defaults to ``OTEL_TRACES_EXPORTER``, else ``otlp`` (``OTEL_EXPORTER_OTLP_*``
    respected; ``protocol`` defaults to ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``http/protobuf``).
    The sampler comes from ``OTEL_TRACES_SAMPLER``/``OTEL_TRACES_SAMPLER_ARG`` unless given.
    ``redact_patterns`` are your own regular expressions, redacted in every log field, span
    attribute, URL and exception message (each bounded in time per value). ``baggage_hosts``
    limits which hosts outgoing HTTP calls carry baggage to (``None``: every host).
    ``exporter="file"`` writes OTLP/JSON lines to ``path`` (the Collector's file format, rotated
    by size) for ``obskit view``, ``check`` and ``serve --load``.
    ``shutdown_timeout`` bounds ``shutdown()`` and exit, in seconds, whatever the collector
    does (dead, silent, slow or trickling).
    Calling it again keeps the first call's providers, updates the conventions, mode, error
    policy and redaction, and says so. Arguments of the wrong type are refused here, at once.
    """
    global _configured, _settings
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    chosen = exporter or os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip()
    if chosen not in _EXPORTERS:
        raise ValueError(f"exporter must be one of {', '.join(_EXPORTERS)}, not {chosen!r}")
    _check_types(
        service_name=(service_name, str),
        service_version=(service_version, str),
        environment=(environment, str),
        endpoint=(endpoint, str),
        sampler=(sampler, Sampler),
        errors=(errors, ErrorPolicy),
        resource_attributes=(resource_attributes, dict),
    )
    patterns = _patterns(redact_patterns)
    hosts = _hosts(baggage_hosts)
    if chosen == "file" and path is None:
        raise ValueError("exporter='file' needs path=")
    if isinstance(shutdown_timeout, bool) or not isinstance(shutdown_timeout, (int, float)):
        raise TypeError(f"shutdown_timeout must be seconds (a number), not {shutdown_timeout!r}")
    if not 0 < shutdown_timeout < float("inf"):
        raise ValueError(f"shutdown_timeout must be positive seconds, not {shutdown_timeout!r}")
    with _lock:
        _settings = Settings(
            error_policy=errors or ErrorPolicy(),
            mode=mode,
            conventions=conventions,
            redact_patterns=patterns,
            baggage_hosts=hosts,
        )
        environment = _environment(environment)
        _wire_logging(environment)
        if _configured is not None:
            warnings.warn(
                f"obskit.configure() was already called for {_configured.service_name!r}; "
                "keeping its providers and exporters, updating conventions, mode and errors",
                RuntimeWarning,
                stacklevel=2,
            )
            return _configured
        name = service_name or os.environ.get("OTEL_SERVICE_NAME") or _script_name()
        given_instance = SERVICE_INSTANCE_ID in (resource_attributes or {}) or (
            SERVICE_INSTANCE_ID in OTELResourceDetector().detect().attributes
        )
        resource = Resource.create(
            {
                "service.name": name,
                **({"service.version": service_version} if service_version else {}),
                "deployment.environment.name": environment,
                **({} if given_instance else {SERVICE_INSTANCE_ID: new_instance_id()}),
                **(resource_attributes or {}),
            }
        )
        if not given_instance:
            renew_after_fork(resource)
        telemetry = _install(
            name, chosen, resource, endpoint, protocol, sampler, path, shutdown_timeout
        )
        _configured = telemetry
        atexit.register(telemetry.shutdown)
        if telemetry.tracer_provider is not None:
            _shut_down_in_multiprocessing_children(telemetry)
        return telemetry


def _check_types(**given: tuple[object, type]) -> None:
    """Refuse a wrong-typed argument when it is given, not on first use in a handler."""
    for name, (value, expected) in given.items():
        if value is not None and not isinstance(value, expected):
            raise TypeError(f"{name} must be a {expected.__name__}, not {value!r}")
    resource = given["resource_attributes"][0]
    if isinstance(resource, dict):
        for key in resource:
            if not isinstance(key, str):
                raise TypeError(f"resource_attributes keys must be strings, not {key!r}")


def _patterns(patterns: Sequence[str | re.Pattern[str]]) -> tuple[str | re.Pattern[str], ...]:
    """The user's redaction patterns, compiled once here so a bad one fails at configure()."""
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    from obskit._sensitive import compile_pattern

    for pattern in patterns:
        compile_pattern(pattern)
    return tuple(patterns)


def _hosts(hosts: Sequence[str] | None) -> frozenset[str] | None:
    if hosts is None:
        return None
    if isinstance(hosts, str):
        hosts = [hosts]
    for host in hosts:
        if not isinstance(host, str):
            raise TypeError(f"baggage_hosts takes host names, not {host!r}")
    return frozenset(host.lower() for host in hosts)


def _shut_down_in_multiprocessing_children(telemetry: Telemetry) -> None:
    """``multiprocessing`` ends a forked child with ``os._exit``: no at-exit handler runs, and
    the spans the child queued would be lost. It runs its own finalizers first, though: each
    forked child of a process that uses multiprocessing registers one that shuts telemetry
    down (bounded, as at exit). Nothing is imported here: a process that never uses
    multiprocessing does not pay for it."""

    def after_fork_in_child() -> None:
        util = sys.modules.get("multiprocessing.util")
        if util is not None:  # multiprocessing runs its after-fork hooks right after this
            util.register_after_fork(telemetry, _finalize_in_child)

    os.register_at_fork(after_in_child=after_fork_in_child)


def _finalize_in_child(telemetry: Telemetry) -> None:
    from multiprocessing import util

    util.Finalize(telemetry, telemetry.shutdown, exitpriority=100)


def _environment(given: str | None) -> str:
    """``environment=``, else ``OBSKIT_ENVIRONMENT``, else ``deployment.environment.name`` from
    ``OTEL_RESOURCE_ATTRIBUTES``, else ``development``."""
    if given:
        return given
    if os.environ.get("OBSKIT_ENVIRONMENT"):
        return os.environ["OBSKIT_ENVIRONMENT"]
    from_env = Resource.create({}).attributes.get("deployment.environment.name")
    return str(from_env) if from_env else "development"


def _wire_logging(environment: str | None) -> None:
    """obskit's log chain: console or JSON by environment, stdlib records through it too."""
    from obskit.logging import _chain, install_stdlib_handler

    _chain.set_environment(environment)
    install_stdlib_handler()


def _script_name() -> str:
    main = sys.argv[0] if sys.argv and sys.argv[0] else ""
    return Path(main).stem or "unknown_service"


def _install(
    name: str,
    exporter: str,
    resource: Resource,
    endpoint: str | None,
    protocol: str | None,
    sampler: Sampler | None,
    path: str | Path | None,
    shutdown_timeout: float,
) -> Telemetry:
    existing = trace.get_tracer_provider()
    if _is_sdk_provider(existing):
        _log.info("obskit: OpenTelemetry is already set up by the host; using its providers")
        attach_sinks()
        return Telemetry(
            service_name=name,
            exporter="host",
            tracer_provider=None,
            meter_provider=None,
            logger_provider=None,
            memory=None,
        )
    proto = protocol or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    )
    # no SDK at-exit handlers: they wait up to 30 s each; obskit's own one is bounded
    tracer_provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    metric_reader = capture_metric_reader()
    readers: list[MetricReader] = [metric_reader]
    memory: MemoryTelemetry | None = None
    export_timeout = _export_timeout()
    if exporter in ("otlp", "file"):
        span_exporter, log_exporter, metric_exporter = (
            _otlp_exporters(proto, endpoint, export_timeout)
            if exporter == "otlp"
            else _file_exporters(path)
        )
        readers.append(
            PeriodicExportingMetricReader(
                metric_exporter(), export_timeout_millis=export_timeout * 1000
            )
        )
    elif exporter == "console":
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    meter_provider = MeterProvider(
        resource=resource, metric_readers=readers, shutdown_on_exit=False
    )
    _sinks.metric_reader_attached = True
    if exporter in ("otlp", "file"):
        # Bounded queues and exports; each drop is counted in ``obskit.telemetry.dropped``.
        # (The SDK's own processor metrics stay off unless OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED
        # asks for them: they cost about 30 % of a handler's throughput.)
        bounds = {"export_timeout": export_timeout + 1, "shutdown_timeout": shutdown_timeout}
        tracer_provider.add_span_processor(
            BoundedSpanProcessor(span_exporter, Limits.from_environment("OTEL_BSP", **bounds))
        )
        log_export = BoundedLogProcessor(
            log_exporter, Limits.from_environment("OTEL_BLRP", **bounds)
        )
        logger_provider.add_log_record_processor(log_export)
        _sinks.log_export = (logger_provider, log_export)
    elif exporter == "console":
        tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        logger_provider.add_log_record_processor(
            SimpleLogRecordProcessor(ConsoleLogRecordExporter())
        )
    elif exporter == "memory":
        memory = MemoryTelemetry(
            spans=InMemorySpanExporter(),
            logs=InMemoryLogRecordExporter(),  # type: ignore[no-untyped-call]
            metrics=metric_reader,
        )
        tracer_provider.add_span_processor(SimpleSpanProcessor(memory.spans))
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(memory.logs))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    _logs.set_logger_provider(logger_provider)
    if exporter == "none":
        _sinks.quiet_logs = logger_provider
    attach_sinks()
    instruments()  # obskit's own counters, obskit.telemetry.dropped among them
    return Telemetry(
        service_name=name,
        exporter=exporter,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        memory=memory,
        shutdown_timeout=shutdown_timeout,
    )


def _file_exporters(
    path: str | Path | None,
) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """One set of file exporters for the life of the process (a file has no connection)."""
    from obskit._otlp_file import file_exporters

    spans, logs, metrics_ = file_exporters(path or "telemetry.jsonl")
    return (lambda: spans), (lambda: logs), (lambda: metrics_)


def _export_timeout() -> float:
    """Seconds one OTLP export may take: ``OTEL_EXPORTER_OTLP_TIMEOUT`` (as the Python
    exporters read it, in seconds), else 10."""
    try:
        return max(float(os.environ["OTEL_EXPORTER_OTLP_TIMEOUT"]), 0.001)
    except (KeyError, ValueError):
        return 10.0


def _otlp_exporters(
    protocol: str, endpoint: str | None, timeout: float
) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """Factories, not exporters: a stuck exporter is replaced, and a forked child builds its
    own (the parent's connections are not the child's)."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return (
            partial(OTLPSpanExporter, endpoint=endpoint, timeout=timeout),
            partial(OTLPLogExporter, endpoint=endpoint, timeout=timeout),
            partial(OTLPMetricExporter, endpoint=endpoint, timeout=timeout),
        )
    if protocol != "http/protobuf":
        raise ValueError(f"OTLP protocol must be 'grpc' or 'http/protobuf', not {protocol!r}")
    from opentelemetry.exporter.otlp.proto.http._log_exporter import (
        OTLPLogExporter as HTTPLogExporter,
    )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HTTPMetricExporter,
    )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    base = endpoint.rstrip("/") if endpoint else None
    return (
        partial(HTTPSpanExporter, endpoint=f"{base}/v1/traces" if base else None, timeout=timeout),
        partial(HTTPLogExporter, endpoint=f"{base}/v1/logs" if base else None, timeout=timeout),
        partial(
            HTTPMetricExporter, endpoint=f"{base}/v1/metrics" if base else None, timeout=timeout
        ),
    )


def _is_sdk_provider(provider: object) -> bool:
    return isinstance(provider, TracerProvider)


def capture_metric_reader() -> InMemoryMetricReader:
    """The one in-memory metric reader obskit's own meter provider carries (for capture)."""
    if _sinks.metric_reader is None:
        from opentelemetry.sdk.metrics import (
            Counter,
            Histogram,
            ObservableCounter,
            UpDownCounter,
        )
        from opentelemetry.sdk.metrics.export import AggregationTemporality

        delta = AggregationTemporality.DELTA
        _sinks.metric_reader = InMemoryMetricReader(
            preferred_temporality={
                Counter: delta,
                Histogram: delta,
                UpDownCounter: delta,
                ObservableCounter: delta,
            }
        )
    return _sinks.metric_reader


def captured_metric_reader() -> InMemoryMetricReader | None:
    """The capture reader when it is attached to the global MeterProvider, else None (a host
    that set up its own metrics: obskit cannot add a reader to it)."""
    return _sinks.metric_reader if _sinks.metric_reader_attached else None


def receives_logs(provider: object) -> bool:
    """Whether a log record given to ``provider`` goes anywhere: not when it is obskit's own
    provider without an exporter, or with an export queue that has no room (the drop is
    counted), and nothing is capturing (the log bridge then does no work)."""
    if _sinks.logs.targets.items:
        return True
    if provider is _sinks.quiet_logs:
        return False
    export = _sinks.log_export
    return export is None or provider is not export[0] or export[1].admit()


def attach_sinks() -> tuple[SpanFanout, LogFanout]:
    """Attach obskit's fan-out processors to the global SDK providers (once each)."""
    with _lock:
        tracer_provider = trace.get_tracer_provider()
        if isinstance(tracer_provider, TracerProvider) and id(tracer_provider) not in (
            _sinks.attached_to
        ):
            tracer_provider.add_span_processor(_sinks.spans)
            _sinks.attached_to.add(id(tracer_provider))
        logger_provider = _logs.get_logger_provider()
        if isinstance(logger_provider, LoggerProvider) and id(logger_provider) not in (
            _sinks.attached_to
        ):
            logger_provider.add_log_record_processor(_sinks.logs)
            _sinks.attached_to.add(id(logger_provider))
    return _sinks.spans, _sinks.logs


def ensure_sdk_for_capture() -> None:
    """Tests without ``configure()``: install obskit's SDK providers, recording everything."""
    with _lock:
        if not _is_sdk_provider(trace.get_tracer_provider()):
            resource = Resource.create({"service.name": "test"})
            trace.set_tracer_provider(TracerProvider(resource=resource))
            if not isinstance(_logs.get_logger_provider(), LoggerProvider):
                _sinks.quiet_logs = LoggerProvider(resource=resource)
                _logs.set_logger_provider(_sinks.quiet_logs)
            if not isinstance(metrics.get_meter_provider(), MeterProvider):
                metrics.set_meter_provider(
                    MeterProvider(resource=resource, metric_readers=[capture_metric_reader()])
                )
                _sinks.metric_reader_attached = True
        attach_sinks()
