"""The one runtime state: what ``configure()`` decided, in one object every path reads.

structlog keeps its whole configuration in one object with ``configure`` / ``reset_defaults`` /
``get_config``; obskit does the same. :data:`STATE` is created once and never rebound: a hot path
keeps a module-global reference to it and reads one attribute (``STATE.settings``,
``STATE.tracing``), never a function call. ``configure()`` and :func:`reset` replace its fields
whole, so a reader sees the old decision or the new one, never half of each.

OpenTelemetry lets a process set its global providers once. obskit's own paths read the providers
from here, so a second configuration in one process (a test suite that configures ``orders`` and
then ``billing``) records through its own providers; the pytest plugin also resets the API's
globals so that other code sees them too.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal

from opentelemetry import _logs, trace
from opentelemetry.baggage import get_all as get_all_baggage
from opentelemetry.context import Context
from opentelemetry.metrics import NoOpMeterProvider as _NoOpMeterProvider
from opentelemetry.metrics import _internal as _metrics_internal

from obskit._fanout import LogFanout, SpanFanout
from obskit._forksafe import ForkSafeLock
from obskit._losses import losses
from obskit._memory import Window
from obskit._modes import MODES, Mode
from obskit.errors import ErrorPolicy

if TYPE_CHECKING:  # structlog, obskit.conventions (and yaml) load with first use, not on import
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from obskit._redaction import Redactor
    from obskit._validator import ConventionValidator
    from obskit.conventions import Registry

__all__ = [
    "MODES",
    "STATE",
    "Mode",
    "Policy",
    "Settings",
    "State",
    "chosen_baggage",
    "current_redactor",
    "first_time",
    "get_state",
    "policy",
    "receives_logs",
    "reset",
    "scrub_text",
]

LogFormat = Literal["json", "console"]

_log = logging.getLogger("obskit")


@dataclass(frozen=True)
class Settings:
    """What ``configure()`` was asked for; replaced as a whole, never half-updated."""

    error_policy: ErrorPolicy = field(default_factory=ErrorPolicy)
    mode: Mode = "warn"
    conventions: Any = None  # a path, a list of paths, or a Registry; resolved once, on first use
    registry: Registry | None = None
    #: the user's own redaction patterns, on top of the built-in rule
    redact_patterns: tuple[str | re.Pattern[str], ...] = ()
    #: hosts outgoing HTTP calls may carry baggage to; None: every host
    baggage_hosts: frozenset[str] | None = None
    #: baggage keys copied onto every span and log line of this service
    baggage_attributes: tuple[str, ...] = ()


@dataclass
class LogOutput:
    """Where and how log lines are written; ``None`` fields are decided from the environment."""

    stream: IO[str] | None = None
    format: LogFormat | None = None
    level: int | str | None = None
    timestamps: bool = True
    environment: str | None = None
    #: the configured ``service.name``, on every JSON line (None until ``configure()``)
    service: str | None = None


@dataclass(frozen=True)
class Policy:
    """The settings resolved once: the registry and what judges and redacts names against it.

    Shared by log events, span attributes, HTTP headers and queries and message attributes, so
    a name the registry marks sensitive is redacted on every path.
    """

    settings: Settings
    registry: Registry
    validator: ConventionValidator | None
    redactor: Redactor


#: what a closed global provider reads as (stateless, shared)
_NO_OP: Final = (trace.NoOpTracerProvider(), _NoOpMeterProvider(), _logs.NoOpLoggerProvider())


class Unpinned:
    """The API's global providers, where a closed one (shut down by :func:`reset`; the API
    cannot unset it) reads as a no-op provider: unconfigured again, obskit records nothing
    through it, as in a process that never configured it, yet still notices a provider the
    host (or the pytest plugin's reset) puts there later. Used only after such a reset."""

    __slots__ = ()

    @property
    def _TRACER_PROVIDER(self) -> object:
        provider = trace._TRACER_PROVIDER
        return _NO_OP[0] if provider in STATE.sinks.closed else provider

    @property
    def _METER_PROVIDER(self) -> object:
        provider = _metrics_internal._METER_PROVIDER
        return _NO_OP[1] if provider in STATE.sinks.closed else provider

    @property
    def _LOGGER_PROVIDER(self) -> object:
        provider = _logs._internal._LOGGER_PROVIDER
        return _NO_OP[2] if provider in STATE.sinks.closed else provider


class Pinned:
    """Providers a configuration chose, under the API's own attribute names, so a hot path reads
    ``STATE.tracing._TRACER_PROVIDER`` whether it is the API's global or obskit's own."""

    __slots__ = ("_LOGGER_PROVIDER", "_METER_PROVIDER", "_TRACER_PROVIDER")

    def __init__(self, tracer: object, meter: object, logger: object) -> None:
        self._TRACER_PROVIDER = tracer
        self._METER_PROVIDER = meter
        self._LOGGER_PROVIDER = logger


@dataclass
class Sinks:
    """The fan-out processors obskit attaches to SDK providers, once per provider.

    Process plumbing, not a decision: they outlive :func:`reset` so a provider never carries two.
    """

    spans: SpanFanout = field(default_factory=SpanFanout)
    logs: LogFanout = field(default_factory=LogFanout)
    attached_to: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    #: the providers obskit created (a global one of these is not "the host's")
    created: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    #: the providers a reset shut down (the API's globals may still hold them)
    closed: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)


class State:
    """Everything ``configure()`` decides and everything the runtime keeps for that decision."""

    __slots__ = (
        "chain",
        "instruments",
        "lock",
        "log_event",
        "log_export",
        "logging",
        "message_ids",
        "metering",
        "metric_reader",
        "metric_reader_attached",
        "output",
        "policy",
        "quiet_logs",
        "sequences",
        "settings",
        "sinks",
        "stdlib_handler",
        "telemetry",
        "tracer",
        "tracing",
        "warned",
    )  # fmt: skip

    def __init__(self) -> None:
        self.lock = ForkSafeLock(threading.RLock)
        self.sinks = Sinks()
        #: ``(logger name, level, event, fields)``: obskit's own log events, through the log
        #: chain once ``obskit.logging`` has loaded (it registers itself); code below the
        #: logging layer logs through this instead of importing it
        self.log_event: Callable[[str, str, str, dict[str, Any]], None] | None = None
        self._defaults()

    def _defaults(self) -> None:
        self.settings = Settings()
        #: resolved from ``settings`` on first use (:func:`policy`), once per configuration
        self.policy: Policy | None = None
        #: the ``Telemetry`` handle ``configure()`` returned; None when unconfigured
        self.telemetry: Any = None
        #: the handler ``configure()`` put on the root logger (stdlib records through the chain)
        self.stdlib_handler: logging.Handler | None = None
        #: where the tracer, meter and logger providers are read: the API's globals (its
        #: modules) until a configuration pins its own (:class:`Pinned`)
        self.tracing: Any = trace
        self.metering: Any = _metrics_internal
        self.logging: Any = _logs._internal
        #: (provider, tracer) and (provider, instruments): rebuilt when the provider changes
        self.tracer: tuple[object, Any] = (None, None)
        self.instruments: tuple[object, Any] = (None, None)
        self.metric_reader: InMemoryMetricReader | None = None
        #: whether that reader belongs to the meter provider in use (only when obskit made it)
        self.metric_reader_attached = False
        #: obskit's own LoggerProvider when it has no exporter (``exporter="none"``, or set up
        #: for capture): a record given to it reaches only the fan-out's targets
        self.quiet_logs: object = None
        #: obskit's own LoggerProvider and its export queue: while the queue has no room (a
        #: dead collector), a record would only be dropped, so the bridge does not build it
        self.log_export: tuple[object, Any] | None = None
        self.output = LogOutput()
        #: the log chain built for these settings and this output (``logging._chain`` owns it)
        self.chain: Any = None
        self.message_ids = Window()
        self.sequences = Window()
        #: one-time warnings already given, by topic
        self.warned: set[object] = set()


#: the one state object; never rebound (hot paths keep a reference to it)
STATE: Final = State()


def get_state() -> State:
    return STATE


def reset() -> None:
    """Back to unconfigured: defaults, no providers of obskit's own, fresh memory.

    The configured providers are shut down (flushing what they hold) and their exit hook is
    dropped. The OpenTelemetry API's globals are left alone (the API allows no reset); the
    pytest plugin resets those too, as OpenTelemetry's own test utilities do.
    """
    with STATE.lock:
        telemetry, handler = STATE.telemetry, STATE.stdlib_handler
        STATE._defaults()
        if telemetry is not None:
            for provider in (
                telemetry.tracer_provider,
                telemetry.meter_provider,
                telemetry.logger_provider,
            ):
                if provider is not None:
                    STATE.sinks.closed.add(provider)
        if any(
            provider in STATE.sinks.closed
            for provider in (
                trace._TRACER_PROVIDER,
                _metrics_internal._METER_PROVIDER,
                _logs._internal._LOGGER_PROVIDER,
            )
        ):
            STATE.tracing = STATE.metering = STATE.logging = Unpinned()
    STATE.sinks.spans.start_attributes = None
    losses.reset()
    if handler is not None:
        logging.getLogger().removeHandler(handler)
    if telemetry is not None:
        telemetry.close()


def update_settings(settings: Settings) -> None:
    """New settings: the policy is resolved again and the log chain rebuilt on next use."""
    with STATE.lock:
        STATE.settings = settings
        STATE.policy = None
        STATE.chain = None


def pin(tracer: object, meter: object, logger: object) -> None:
    """Record through these providers from now on (configure(), or a capture's test SDK)."""
    STATE.tracing = STATE.metering = STATE.logging = Pinned(tracer, meter, logger)


def tracer_provider() -> object | None:
    return STATE.tracing._TRACER_PROVIDER  # type: ignore[no-any-return]


def meter_provider() -> object | None:
    return STATE.metering._METER_PROVIDER  # type: ignore[no-any-return]


def logger_provider() -> object | None:
    return STATE.logging._LOGGER_PROVIDER  # type: ignore[no-any-return]


def receives_logs(provider: object) -> bool:
    """Whether a log record given to ``provider`` goes anywhere: not when it is obskit's own
    provider without an exporter, or with an export queue that has no room (the drop is
    counted), and nothing is capturing (the log bridge then does no work)."""
    if STATE.sinks.logs.targets.items:
        return True
    if provider is STATE.quiet_logs:
        return False
    export = STATE.log_export
    return export is None or provider is not export[0] or bool(export[1].admit())


def first_time(topic: object) -> bool:
    """True the first time ``topic`` is asked about in this configuration (warn once)."""
    if topic in STATE.warned:
        return False
    STATE.warned.add(topic)
    return True


# -- the registry, resolved once per configuration ------------------------------------------


def current_redactor() -> Redactor:
    """The redaction rule of the current settings: the shared words and shapes, the configured
    registry's sensitive names and the user's patterns (logs, spans and HTTP all ask it)."""
    resolved = STATE.policy
    if resolved is None or resolved.settings is not STATE.settings:
        resolved = policy()
    return resolved.redactor


def scrub_text(text: str) -> str:
    """``text`` (an exception message, a URL, a header value) without secret-shaped parts, by
    the same rule (and the same user patterns) as log fields."""
    return current_redactor().scrub(text)


def chosen_baggage(context: Context | None = None) -> dict[str, Any] | None:
    """The baggage entries ``configure(baggage_attributes=...)`` chose, from ``context`` (the
    current one by default), redacted like any attribute; None when there are none."""
    keys = STATE.settings.baggage_attributes
    if not keys:
        return None
    entries = get_all_baggage(context)
    if not entries:
        return None
    found = {key: str(entries[key]) for key in keys if key in entries}
    return current_redactor().redacted(found) if found else None


def policy() -> Policy:
    """The registry the settings name, with its validator and redactor (built on first use)."""
    current = STATE.policy
    settings = STATE.settings
    if current is not None and current.settings is settings:
        return current
    with STATE.lock:
        current = STATE.policy
        if current is None or current.settings is not STATE.settings:
            from obskit._redaction import Redactor
            from obskit._validator import ConventionValidator

            settings = STATE.settings
            registry = _registry_for(settings)
            validator = (
                None if settings.mode == "off" else ConventionValidator(registry, settings.mode)
            )
            current = STATE.policy = Policy(
                settings, registry, validator, Redactor(registry, patterns=settings.redact_patterns)
            )
        return current


@functools.lru_cache(maxsize=8)
def _load(sources: tuple[str, ...]) -> Registry:
    from obskit.conventions import project_registry

    return project_registry(*sources)


def _registry_for(settings: Settings) -> Registry:
    """Explicit, sources (over obskit's own, as ``obskit lint`` reads them), or the default."""
    from obskit.conventions import Registry, default_registry

    if settings.registry is not None:
        return settings.registry
    conventions = settings.conventions
    if conventions is None:
        return default_registry()
    if isinstance(conventions, Registry):
        return conventions
    sources = [conventions] if isinstance(conventions, str | Path) else list(conventions)
    try:
        registry = _load(tuple(str(source) for source in sources))
    except Exception:
        _log.warning("obskit: cannot load conventions %r; using the defaults", sources)
        return default_registry()
    for error in registry.errors:
        _log.warning("obskit: conventions: %s", error)
    return registry


def capture_metric_reader() -> InMemoryMetricReader:
    """The in-memory DELTA metric reader obskit's own meter provider carries (for capture)."""
    if STATE.metric_reader is None:
        from opentelemetry.sdk.metrics import Counter, Histogram, ObservableCounter, UpDownCounter
        from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

        delta = AggregationTemporality.DELTA
        STATE.metric_reader = InMemoryMetricReader(
            preferred_temporality={
                Counter: delta,
                Histogram: delta,
                UpDownCounter: delta,
                ObservableCounter: delta,
            }
        )
    return STATE.metric_reader


def captured_metric_reader() -> InMemoryMetricReader | None:
    """The capture reader when the meter provider in use carries it, else None (a host that set
    up its own metrics: obskit cannot add a reader to it)."""
    return STATE.metric_reader if STATE.metric_reader_attached else None
