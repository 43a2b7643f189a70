"""The OpenTelemetry log bridge: each event as an OTel log record, linked to the current span.

The record's body is the event, its severity comes from the level, its trace and span ids from
the current context (``obskit.propagation.current_context()``, so a consumer's incoming context
counts even without an SDK), and its attributes carry the CANONICAL dotted names: the log key
``order_id`` becomes ``app.order.id`` through ``registry.resolve``; unknown keys keep their
spelling. The instrumentation scope is the logger's name (as OpenTelemetry's own logging
handler does), ``obskit`` when it has none. It runs after redaction, so exporters only see
redacted values, and it never raises: a failure is reported once and the event goes on.

When the provider is obskit's own and its only processors are obskit's export queue and its
fan-out with nothing plugged in (``configure(exporter="otlp")`` in production), the bridge
builds the exported record once and queues it itself: no ``Logger.emit``, no writable record
whose attributes the SDK cleans value by value, no copy. The attributes are already clean
(primitives or tuples of one primitive type, within the provider's limits). Anything else (a
host's provider, ``capture()``, the memory or console exporter, limits the event exceeds)
goes through the public ``Logger.emit``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import _logs
from opentelemetry._logs import LogRecord, NoOpLoggerProvider, SeverityNumber
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.context import Context
from opentelemetry.sdk._logs import Logger as SDKLogger
from opentelemetry.sdk._logs import (
    LogRecordLimits,
    ReadableLogRecord,
    SynchronousMultiLogRecordProcessor,
)
from structlog.typing import EventDict, WrappedLogger

if TYPE_CHECKING:
    from obskit.conventions import Registry
from obskit._export import BoundedLogProcessor
from obskit._semconv_names import EXCEPTION_STACKTRACE
from obskit._state import STATE, logger_provider, receives_logs
from obskit.propagation import current_context

__all__ = ["SEVERITY", "OTelLogBridge"]

SEVERITY: Final[dict[str, tuple[SeverityNumber, str]]] = {
    "debug": (SeverityNumber.DEBUG, "DEBUG"),
    "info": (SeverityNumber.INFO, "INFO"),
    "warning": (SeverityNumber.WARN, "WARNING"),
    "warn": (SeverityNumber.WARN, "WARNING"),
    "error": (SeverityNumber.ERROR, "ERROR"),
    "exception": (SeverityNumber.ERROR, "ERROR"),
    "critical": (SeverityNumber.FATAL, "CRITICAL"),
    "fatal": (SeverityNumber.FATAL, "CRITICAL"),
}
_DEFAULT_SEVERITY: Final = (SeverityNumber.INFO, "INFO")
#: a structlog event that is a name (lowercase parts joined by '.' or '_'), not a sentence
_EVENT_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)*$")
#: Carried by the record itself (body, severity, trace ids, timestamp) or internal.
_NOT_ATTRIBUTES: Final = frozenset(
    {"event", "level", "timestamp", "logger", "trace_id", "span_id", "trace_flags"}
    | {"exc_info", "exception", "stack_info", "positional_args", "_record", "_from_structlog"}
)
_NO_SDK: Final = (NoOpLoggerProvider, ProxyLoggerProvider)
_PRIMITIVES: Final = (str, bool, int, float)
#: values kept as they are without a call (exact classes: the common case)
_PLAIN: Final = frozenset({str, int, float, bool})
#: the record the export queue holds does not keep the event's context alive (as the SDK's
#: batch processor does it)
_NO_CONTEXT: Final = Context()
#: cached names and event names per bridge (keys come from user code, sometimes from data)
_CACHE_LIMIT: Final = 10_000
_KEY_CHARS: Final = 256

_log = logging.getLogger("obskit")


def _attribute_value(value: object) -> Any:
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, _PRIMITIVES) for v in value):
        # as the SDK keeps a sequence: a tuple, of one primitive type
        kinds = {type(v) for v in value}
        return tuple(value) if len(kinds) <= 1 else tuple(str(v) for v in value)
    return str(value)


def exception_of(exc_info: object) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


class _Direct:
    """What the bridge needs to queue records itself on one of obskit's own providers."""

    __slots__ = ("limits", "max_attributes", "processors", "queue")

    def __init__(
        self, processors: object, queue: BoundedLogProcessor, limits: LogRecordLimits
    ) -> None:
        self.processors = processors  # the provider's processor tuple this was decided for
        self.queue = queue
        self.limits = limits
        maximum = limits.max_log_record_attributes
        self.max_attributes: int = sys.maxsize if maximum is None else maximum


def _direct_route(provider: object, queue: BoundedLogProcessor) -> _Direct | None:
    """A :class:`_Direct` when ``provider`` only feeds obskit's export queue and fan-out, with
    default SDK behaviour the bridge reproduces (no attribute value length limit, no SDK
    self-metrics); None otherwise. It reads the SDK provider's private fields, each checked:
    if a newer SDK moved them, records go through ``Logger.emit``."""
    multi = getattr(provider, "_multi_log_record_processor", None)
    limits = getattr(provider, "_log_record_limits", None)
    if type(multi) is not SynchronousMultiLogRecordProcessor or not isinstance(
        limits, LogRecordLimits
    ):
        return None
    processors = getattr(multi, "_log_record_processors", None)
    if not isinstance(processors, tuple) or queue not in processors:
        return None
    if any(p is not queue and p is not STATE.sinks.logs for p in processors):
        return None  # a processor someone else added: it gets the SDK's own record
    metrics = os.environ.get("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "")
    if limits.max_log_record_attribute_length is not None or metrics.strip().lower() == "true":
        return None
    return _Direct(processors, queue, limits)


class OTelLogBridge:
    """A structlog processor that emits the event through the global OpenTelemetry LoggerProvider.

    Does nothing (cheaply) until an SDK LoggerProvider is set that sends records somewhere (an
    exporter, the host's processors, or ``capture()``). Records from OpenTelemetry's
    own stdlib loggers are not bridged (that could loop through a failing exporter).
    """

    def __init__(self, registry: Registry | None = None, *, scope: str = "obskit") -> None:
        self.registry = registry
        self.scope = scope
        #: log key -> attribute name ("" for keys the record carries otherwise, or drops)
        self._names: dict[object, str] = dict.fromkeys(_NOT_ATTRIBUTES, "")
        #: body -> EventName (None for a sentence)
        self._event_names: dict[str, str | None] = {}
        self._loggers: dict[tuple[int, str], _logs.Logger] = {}
        #: (provider, its processors, the route decided for them)
        self._direct: tuple[object, object, _Direct | None] = (None, None, None)
        self._failed = False

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        # the provider in use: the configuration's own, else the API's global
        provider: Any = logger_provider() or _logs.get_logger_provider()
        sinks = STATE.sinks.logs.targets.items
        if provider is STATE.quiet_logs and not sinks:
            return event_dict  # exporter="none" and nothing capturing: the common no-op
        try:
            export = STATE.log_export
            if export is not None and provider is export[0] and not sinks:
                direct = self._direct_for(provider, export[1])
                if direct is not None:
                    if direct.queue.admit():  # else the drop is counted, nothing built
                        self._queue(direct, provider, logger, method_name, event_dict)
                    return event_dict
            if isinstance(provider, _NO_SDK) or not receives_logs(provider):
                return event_dict
            self._emit(provider, logger, method_name, event_dict)
        except Exception:
            if not self._failed:
                self._failed = True
                _log.warning("obskit: the OpenTelemetry log bridge failed", exc_info=True)
        return event_dict

    def canonical(self, key: str) -> str:
        """The dotted attribute name for a log key (cached; unknown keys stay as they are)."""
        if key in _NOT_ATTRIBUTES:
            return key
        return self._name(key) or key

    def _name(self, key: object) -> str:
        """The attribute name for an event key; "" for keys that are no attribute."""
        name = self._names.get(key)
        if name is None:
            if not isinstance(key, str) or not key:
                name = ""  # the SDK drops such keys too
            else:
                name = (self.registry.resolve(key) if self.registry is not None else None) or key
            if len(self._names) < _CACHE_LIMIT and len(str(key)) <= _KEY_CHARS:
                self._names[key] = name  # bounded in bytes too
        return name

    def _event_name(self, body: str) -> str | None:
        """An event named like one (``order_received``) is the record's EventName, its fields
        the attributes; a sentence stays only the body."""
        known = self._event_names.get(body, False)
        if known is not False:
            return known  # type: ignore[return-value]
        name = body if _EVENT_NAME.match(body) else None
        if len(self._event_names) < _CACHE_LIMIT and len(body) <= _KEY_CHARS:
            self._event_names[body] = name
        return name

    def _direct_for(self, provider: object, queue: BoundedLogProcessor) -> _Direct | None:
        """The direct route for this provider, decided again when its processors change."""
        multi = getattr(provider, "_multi_log_record_processor", None)
        processors = getattr(multi, "_log_record_processors", None)
        seen_provider, seen_processors, direct = self._direct
        if seen_provider is not provider or seen_processors is not processors:
            direct = _direct_route(provider, queue)
            self._direct = (provider, processors, direct)
        return direct

    def _otel_logger(self, provider: Any, logger: WrappedLogger, event_dict: EventDict) -> Any:
        """The OpenTelemetry logger for the event's scope; None for OpenTelemetry's own."""
        scope = event_dict.get("logger") or getattr(logger, "name", None) or self.scope
        if not isinstance(scope, str):
            scope = self.scope
        if scope.startswith("opentelemetry"):
            return None
        otel_logger = self._loggers.get((id(provider), scope))
        if otel_logger is None:
            otel_logger = self._loggers[(id(provider), scope)] = provider.get_logger(scope)
        return otel_logger

    def _attributes(self, event_dict: EventDict) -> dict[str, Any]:
        names, name_of = self._names, self._name
        attributes: dict[str, Any] = {}
        for key, value in event_dict.items():
            name = names.get(key)
            if name is None:
                name = name_of(key)
            if name and value is not None:
                attributes[name] = value if value.__class__ in _PLAIN else _attribute_value(value)
        stacktrace = event_dict.get("exception")  # formatted (and redacted) before the bridge
        if isinstance(stacktrace, str):
            attributes[EXCEPTION_STACKTRACE] = stacktrace
        return attributes

    def _record_fields(
        self, method_name: str, event_dict: EventDict
    ) -> tuple[SeverityNumber, str, str | None, str | None]:
        """Severity number and text, body and EventName."""
        level = event_dict.get("level")
        severity, text = SEVERITY.get(
            level if isinstance(level, str) else method_name, _DEFAULT_SEVERITY
        )
        body = event_dict.get("event")
        body = body if isinstance(body, str) or body is None else str(body)
        return severity, text, body, None if body is None else self._event_name(body)

    def _queue(
        self,
        direct: _Direct,
        provider: Any,
        logger: WrappedLogger,
        method_name: str,
        event_dict: EventDict,
    ) -> None:
        """One record, built once, straight into obskit's export queue (after ``admit``)."""
        otel_logger = self._otel_logger(provider, logger, event_dict)
        if otel_logger is None:
            return
        attributes = self._attributes(event_dict)
        if (
            otel_logger.__class__ is not SDKLogger  # disabled SDK: a no-op logger
            or len(attributes) > direct.max_attributes  # the SDK drops the oldest and warns
            or exception_of(event_dict.get("exc_info")) is not None
        ):
            self._emit(provider, logger, method_name, event_dict)
            return
        severity, text, body, event_name = self._record_fields(method_name, event_dict)
        now = time.time_ns()
        record = LogRecord(
            timestamp=now,
            observed_timestamp=now,
            context=current_context(),
            severity_number=severity,
            severity_text=text,
            body=body,
            attributes=attributes,
            event_name=event_name,
        )
        record.context = _NO_CONTEXT
        direct.queue.add(
            ReadableLogRecord(
                log_record=record,
                resource=otel_logger.resource,
                instrumentation_scope=otel_logger.instrumentation_scope,
                limits=direct.limits,
            )
        )

    def _emit(
        self,
        provider: _logs.LoggerProvider,
        logger: WrappedLogger,
        method_name: str,
        event_dict: EventDict,
    ) -> None:
        """Through the public API: any provider, any processors."""
        otel_logger = self._otel_logger(provider, logger, event_dict)
        if otel_logger is None:
            return
        severity, text, body, event_name = self._record_fields(method_name, event_dict)
        otel_logger.emit(
            timestamp=time.time_ns(),
            context=current_context(),
            severity_number=severity,
            severity_text=text,
            body=body,
            attributes=self._attributes(event_dict),
            event_name=event_name,
            exception=exception_of(event_dict.get("exc_info")),
        )
