"""The OpenTelemetry log bridge: each event as an OTel log record, linked to the current span.

The record's body is the event, its severity comes from the level, its trace and span ids from
the current context (``obskit.propagation.current_context()``, so a consumer's incoming context
counts even without an SDK), and its attributes carry the CANONICAL dotted names: the log key
``order_id`` becomes ``app.order.id`` through ``registry.resolve``; unknown keys keep their
spelling. The instrumentation scope is the logger's name (as OpenTelemetry's own logging
handler does), ``obskit`` when it has none. It runs after redaction, so exporters only see
redacted values, and it never raises: a failure is reported once and the event goes on.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import _logs
from opentelemetry._logs import NoOpLoggerProvider, SeverityNumber
from opentelemetry._logs._internal import ProxyLoggerProvider
from structlog.typing import EventDict, WrappedLogger

if TYPE_CHECKING:
    from obskit.conventions import Registry
from obskit._semconv_names import EXCEPTION_STACKTRACE
from obskit._state import logger_provider, receives_logs
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
#: Carried by the record itself (body, severity, trace ids, timestamp) or internal.
#: a structlog event that is a name (lowercase parts joined by '.' or '_'), not a sentence
_EVENT_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)*$")
_NOT_ATTRIBUTES: Final = frozenset(
    {"event", "level", "timestamp", "logger", "trace_id", "span_id", "trace_flags"}
    | {"exc_info", "exception", "stack_info", "positional_args", "_record", "_from_structlog"}
)
_NO_SDK: Final = (NoOpLoggerProvider, ProxyLoggerProvider)
_PRIMITIVES: Final = (str, bool, int, float)

_log = logging.getLogger("obskit")


def _attribute_value(value: object) -> Any:
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, _PRIMITIVES) for v in value):
        kinds = {type(v) for v in value}
        return list(value) if len(kinds) <= 1 else [str(v) for v in value]
    return str(value)


def exception_of(exc_info: object) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


class OTelLogBridge:
    """A structlog processor that emits the event through the global OpenTelemetry LoggerProvider.

    Does nothing (cheaply) until an SDK LoggerProvider is set that sends records somewhere (an
    exporter, the host's processors, or ``capture()``). Records from OpenTelemetry's
    own stdlib loggers are not bridged (that could loop through a failing exporter).
    """

    def __init__(self, registry: Registry | None = None, *, scope: str = "obskit") -> None:
        self.registry = registry
        self.scope = scope
        self._names: dict[str, str] = {}
        self._loggers: dict[tuple[int, str], _logs.Logger] = {}
        self._failed = False

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        # the provider in use: the configuration's own, else the API's global
        provider: Any = logger_provider() or _logs.get_logger_provider()
        if isinstance(provider, _NO_SDK) or not receives_logs(provider):
            return event_dict
        try:
            self._emit(provider, logger, method_name, event_dict)
        except Exception:
            if not self._failed:
                self._failed = True
                _log.warning("obskit: the OpenTelemetry log bridge failed", exc_info=True)
        return event_dict

    def canonical(self, key: str) -> str:
        """The dotted attribute name for a log key (cached; unknown keys stay as they are)."""
        name = self._names.get(key)
        if name is None:
            name = (self.registry.resolve(key) if self.registry is not None else None) or key
            if len(self._names) < 10_000 and len(key) <= 256:  # bounded in bytes too
                self._names[key] = name
        return name

    def _emit(
        self,
        provider: _logs.LoggerProvider,
        logger: WrappedLogger,
        method_name: str,
        event_dict: EventDict,
    ) -> None:
        scope = event_dict.get("logger") or getattr(logger, "name", None) or self.scope
        if not isinstance(scope, str):
            scope = self.scope
        if scope.startswith("opentelemetry"):
            return
        otel_logger = self._loggers.get((id(provider), scope))
        if otel_logger is None:
            otel_logger = self._loggers[(id(provider), scope)] = provider.get_logger(scope)
        canonical = self.canonical
        attributes = {
            canonical(key): _attribute_value(value)
            for key, value in event_dict.items()
            if key not in _NOT_ATTRIBUTES and value is not None
        }
        stacktrace = event_dict.get("exception")  # formatted (and redacted) before the bridge
        if isinstance(stacktrace, str):
            attributes[EXCEPTION_STACKTRACE] = stacktrace
        level = event_dict.get("level")
        severity, text = SEVERITY.get(
            level if isinstance(level, str) else method_name, _DEFAULT_SEVERITY
        )
        body = event_dict.get("event")
        body = body if isinstance(body, str) or body is None else str(body)
        otel_logger.emit(
            timestamp=time.time_ns(),
            context=current_context(),
            severity_number=severity,
            severity_text=text,
            body=body,
            attributes=attributes,
            # an event named like one (``order_received``) is the record's EventName, its
            # fields the attributes; a sentence stays only the body
            event_name=body if body is not None and _EVENT_NAME.match(body) else None,
            exception=exception_of(event_dict.get("exc_info")),
        )
