"""``configure()``: providers, exporters, resource, the ``OTEL_*`` environment, shutdown.

What it decides goes into the one state object (``_state.STATE``), which every path reads. A host
that set up OpenTelemetry itself (or runs under ``opentelemetry-instrument``) keeps its providers:
obskit records through them. This module sits above the runtime subsystems (it wires the log
chain), so nothing below it imports it: they read the state.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics import _internal as _metrics_internal
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

from obskit import _state
from obskit._export import (
    BoundedLogProcessor,
    BoundedMetricReader,
    BoundedSpanProcessor,
    Limits,
    outage_log,
    run_all_bounded,
)
from obskit._fanout import LogFanout, SpanFanout
from obskit._instance import SERVICE_INSTANCE_ID, new_instance_id, renew_after_fork
from obskit._losses import fallback_warning, losses
from obskit._modes import MODES, Mode
from obskit._providers import instruments
from obskit._state import STATE, Settings, capture_metric_reader, chosen_baggage
from obskit.errors import ErrorPolicy

if TYPE_CHECKING:
    from obskit.conventions import Registry

__all__ = ["Mode", "Telemetry", "configure", "reset"]

Exporter = Literal["otlp", "console", "memory", "file", "none"]
_EXPORTERS = ("otlp", "console", "memory", "file", "none")

_log = logging.getLogger("obskit")


@dataclass
class MemoryTelemetry:
    """The ``memory`` exporter's stores, read by ``obskit.testing`` and the demo."""

    spans: InMemorySpanExporter
    logs: InMemoryLogRecordExporter
    metrics: InMemoryMetricReader | None


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
        return all(finished and bool(result) for finished, result in results)

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

    def close(self) -> None:
        """Shut down and drop the exit hook (``obskit.reset()``: this configuration is over)."""
        atexit.unregister(self.shutdown)
        self.shutdown()

    def __repr__(self) -> str:
        return f"Telemetry(service_name={self.service_name!r}, exporter={self.exporter!r})"


def reset() -> None:
    """Back to the unconfigured state: what ``configure()`` set up is shut down and forgotten.

    The pytest plugin calls it around every test. OpenTelemetry's global providers stay set (the
    API offers no way back); obskit's own paths stop using them, and the next ``configure()``
    records through its own providers.
    """
    _state.reset()


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
    mode: Mode | None = None,
    errors: ErrorPolicy | None = None,
    resource_attributes: dict[str, str] | None = None,
    redact_patterns: Sequence[str | re.Pattern[str]] = (),
    baggage_hosts: Sequence[str] | None = None,
    baggage_attributes: Sequence[str] = (),
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
    ``baggage_attributes`` names baggage keys (``app.tenant.id``) copied onto every span and
    log line of the service, redacted like any attribute.
    Without code changes: ``conventions`` defaults to ``OBSKIT_CONVENTIONS`` (paths separated
    by ``os.pathsep``) and ``mode`` to ``OBSKIT_MODE``, else ``warn``; an argument wins.
    Calling it again keeps the first call's providers, updates the conventions, mode, error
    policy and redaction, and says so (``obskit.reset()`` first starts afresh). Arguments of
    the wrong type are refused here, at once.
    """
    mode = _mode(mode)
    if conventions is None and os.environ.get("OBSKIT_CONVENTIONS", "").strip():
        conventions = [p for p in os.environ["OBSKIT_CONVENTIONS"].split(os.pathsep) if p.strip()]
    chosen_baggage_keys = _baggage_keys(baggage_attributes)
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
    with STATE.lock:
        _state.update_settings(
            Settings(
                error_policy=errors or ErrorPolicy(),
                mode=mode,
                conventions=conventions,
                redact_patterns=patterns,
                baggage_hosts=hosts,
                baggage_attributes=chosen_baggage_keys,
            )
        )
        STATE.sinks.spans.start_attributes = chosen_baggage if chosen_baggage_keys else None
        environment = _environment(environment)
        configured: Telemetry | None = STATE.telemetry
        name = (
            configured.service_name
            if configured is not None
            else service_name or os.environ.get("OTEL_SERVICE_NAME") or _script_name()
        )
        _wire_logging(environment, name)
        if configured is not None:
            warnings.warn(
                f"obskit.configure() was already called for {configured.service_name!r}; "
                "keeping its providers and exporters, updating conventions, mode and errors",
                RuntimeWarning,
                stacklevel=2,
            )
            return configured
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
        STATE.telemetry = telemetry
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


def _mode(mode: Mode | None) -> Mode:
    """``mode=``, else ``OBSKIT_MODE``, else ``warn``; a value that is not a mode is refused."""
    chosen = mode if mode is not None else os.environ.get("OBSKIT_MODE", "warn").strip().lower()
    if chosen not in MODES:
        where = "mode" if mode is not None else "OBSKIT_MODE"
        raise ValueError(f"{where} must be one of {', '.join(MODES)}, not {chosen!r}")
    return chosen  # type: ignore[return-value]


def _baggage_keys(keys: Sequence[str]) -> tuple[str, ...]:
    if isinstance(keys, str):
        keys = [keys]
    for key in keys:
        if not isinstance(key, str) or not key:
            raise TypeError(f"baggage_attributes takes baggage keys (strings), not {key!r}")
    return tuple(dict.fromkeys(keys))


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


def _wire_logging(environment: str | None, service: str) -> None:
    """obskit's log chain: console or JSON by environment, stdlib records through it too;
    JSON lines name the service and its environment."""
    from obskit.logging import _chain, install_stdlib_handler

    _chain.set_environment(environment, service)
    handler = install_stdlib_handler()
    if STATE.stdlib_handler is None:
        STATE.stdlib_handler = handler  # obskit.reset() takes it off the root logger again


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
    if _host_tracer_provider() is not None:
        _log.info("obskit: OpenTelemetry is already set up by the host; using its providers")
        _pin_globals()
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
    STATE.metric_reader = None  # a reader belongs to one provider: this configuration gets its own
    readers: list[MetricReader] = []
    memory: MemoryTelemetry | None = None
    export_timeout = _export_timeout()
    if exporter in ("otlp", "file"):
        span_exporter, log_exporter, metric_exporter = (
            _otlp_exporters(proto, endpoint, export_timeout)
            if exporter == "otlp"
            else _file_exporters(path)
        )
        readers.append(BoundedMetricReader(metric_exporter, export_timeout + 1))
    elif exporter == "console":
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    if _may_capture(exporter):
        readers.append(capture_metric_reader())
    meter_provider = MeterProvider(
        resource=resource, metric_readers=readers, shutdown_on_exit=False
    )
    STATE.metric_reader_attached = STATE.metric_reader is not None
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
        STATE.log_export = (logger_provider, log_export)
    elif exporter == "console":
        tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        logger_provider.add_log_record_processor(
            SimpleLogRecordProcessor(ConsoleLogRecordExporter())
        )
    elif exporter == "memory":
        memory = MemoryTelemetry(
            spans=InMemorySpanExporter(),
            logs=InMemoryLogRecordExporter(),  # type: ignore[no-untyped-call]
            metrics=STATE.metric_reader,
        )
        tracer_provider.add_span_processor(SimpleSpanProcessor(memory.spans))
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(memory.logs))
    if exporter == "none":
        STATE.quiet_logs = logger_provider
    _install_providers(tracer_provider, meter_provider, logger_provider)
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


def _may_capture(exporter: str) -> bool:
    """Whether ``capture()`` may read this configuration's metrics: without an exporter of its
    own (``none``, ``memory``), or in a test run (the pytest plugin has loaded
    ``obskit.testing``). Elsewhere the in-memory reader would only double the cost of every
    measurement (each reader aggregates each one), so a service that exports has one reader."""
    return exporter in ("none", "memory") or "obskit.testing" in sys.modules


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
    own (the parent's connections are not the child's). Their loggers tell the host's logs of
    an outage once, not at every retry (:class:`obskit._export.OutageLog`)."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        outage_log.install(OTLPSpanExporter, OTLPLogExporter, OTLPMetricExporter)
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

    outage_log.install(HTTPSpanExporter, HTTPLogExporter, HTTPMetricExporter)
    base = endpoint.rstrip("/") if endpoint else None
    return (
        partial(HTTPSpanExporter, endpoint=f"{base}/v1/traces" if base else None, timeout=timeout),
        partial(HTTPLogExporter, endpoint=f"{base}/v1/logs" if base else None, timeout=timeout),
        partial(
            HTTPMetricExporter, endpoint=f"{base}/v1/metrics" if base else None, timeout=timeout
        ),
    )


def _host_tracer_provider() -> TracerProvider | None:
    """The global SDK tracer provider when the host set it up (not one obskit made earlier)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider) and provider not in STATE.sinks.created:
        return provider
    return None


def _pin_globals() -> None:
    """Record through the API's global providers (the host's), as they are now."""
    _state.pin(
        trace.get_tracer_provider(), metrics.get_meter_provider(), _logs.get_logger_provider()
    )


def _install_providers(
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
    logger_provider: LoggerProvider | None,
) -> None:
    """obskit's own providers: pinned in the state, and made the API's globals where those are
    still unset (the API sets each once per process; the pytest plugin resets them)."""
    tracer = tracer_provider or trace.get_tracer_provider()
    meter = meter_provider or metrics.get_meter_provider()
    logger = logger_provider or _logs.get_logger_provider()
    for made in (tracer_provider, meter_provider, logger_provider):
        if made is not None:
            STATE.sinks.created.add(made)
    if tracer_provider is not None and isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider
    ):
        trace.set_tracer_provider(tracer_provider)
    if meter_provider is not None and _metrics_internal._METER_PROVIDER is None:
        metrics.set_meter_provider(meter_provider)
    if logger_provider is not None and isinstance(_logs.get_logger_provider(), ProxyLoggerProvider):
        _logs.set_logger_provider(logger_provider)
    _state.pin(tracer, meter, logger)


def attach_sinks() -> tuple[SpanFanout, LogFanout]:
    """Attach obskit's fan-out processors to the SDK providers in use (once each)."""
    sinks = STATE.sinks
    with STATE.lock:
        tracer_provider = _state.tracer_provider()
        if isinstance(tracer_provider, TracerProvider) and tracer_provider not in sinks.attached_to:
            tracer_provider.add_span_processor(sinks.spans)
            sinks.attached_to.add(tracer_provider)
        logger_provider = _state.logger_provider()
        if isinstance(logger_provider, LoggerProvider) and logger_provider not in sinks.attached_to:
            logger_provider.add_log_record_processor(sinks.logs)
            sinks.attached_to.add(logger_provider)
    return sinks.spans, sinks.logs


def ensure_sdk_for_capture() -> None:
    """Tests without ``configure()``: SDK providers that record everything (the host's where it
    set them up, else obskit's own, pinned in the state)."""
    with STATE.lock:
        if not isinstance(_state.tracer_provider(), TracerProvider):
            resource = Resource.create({"service.name": "test"})
            host_tracer = trace.get_tracer_provider()
            host_meter = metrics.get_meter_provider()
            host_logs = _logs.get_logger_provider()
            tracer_provider = None
            if not isinstance(host_tracer, TracerProvider) or host_tracer in STATE.sinks.created:
                tracer_provider = TracerProvider(resource=resource)
            meter_provider = None
            if not isinstance(host_meter, MeterProvider) or host_meter in STATE.sinks.created:
                STATE.metric_reader = None
                meter_provider = MeterProvider(
                    resource=resource, metric_readers=[capture_metric_reader()]
                )
                STATE.metric_reader_attached = True
            logger_provider = None
            if not isinstance(host_logs, LoggerProvider) or host_logs in STATE.sinks.created:
                logger_provider = STATE.quiet_logs = LoggerProvider(resource=resource)
            _install_providers(tracer_provider, meter_provider, logger_provider)
        attach_sinks()
