"""The chain: one list of processors every obskit logger and the stdlib handler run.

obskit never calls ``structlog.configure()``: a host that configured structlog keeps its own
setup, and obskit's loggers keep theirs. Each logger ``get_logger`` returns holds a single
processor, :func:`_dispatch`, that runs the *current* chain, rebuilt lazily whenever the
settings (``obskit.configure()``) or the output (:func:`configure_logging`) change. So a logger
created before ``configure()`` follows it, and no processor runs twice. The output and the built
chain live in obskit's one state object (``_state.STATE``); the registry, validator and redactor
come from the state's policy, the same objects span attributes and HTTP redaction use.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Final, Literal

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from obskit._forksafe import ForkSafeLock
from obskit._redaction import Redactor
from obskit._state import (
    STATE,
    LogFormat,
    LogOutput,
    Settings,
    chosen_baggage,
    first_time,
    policy,
)
from obskit._validator import ConventionError, ConventionValidator
from obskit.errors import error_type
from obskit.logging._bridge import OTelLogBridge, exception_of
from obskit.logging._context import add_trace_context
from obskit.logging._render import JSONRenderer, Timestamp
from obskit.logging._write import write

if TYPE_CHECKING:  # obskit.conventions (and yaml) load with the first event, not on import
    from obskit.conventions import Registry

__all__ = [
    "Chain",
    "configure_logging",
    "current_chain",
    "get_logger",
    "log_event",
    "processors",
]

Format = LogFormat

LEVELS: Final[dict[str, int]] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}

_log = logging.getLogger("obskit")
#: also held across fork(): no child starts inside another thread's build (a half-done import)
_lock = ForkSafeLock(threading.RLock, fork_wait=5.0)


@dataclass(frozen=True)
class Chain:
    """One built chain: what every event runs through until the settings change."""

    settings: Settings
    registry: Registry
    validator: ConventionValidator | None
    redactor: Redactor
    bridge: OTelLogBridge
    format: Format
    min_level: int
    #: structlog events: everything up to and including the renderer
    processors: tuple[Processor, ...]
    #: stdlib records: everything before rendering (ProcessorFormatter's foreign_pre_chain)
    stdlib: tuple[Processor, ...]
    #: the rendering tail both share
    render: tuple[Processor, ...] = field(default=())
    #: False once the output changed: rebuilt on next use, keeping the validator
    fresh: bool = True


# -- output -------------------------------------------------------------------------------


def configure_logging(
    *,
    stream: IO[str] | None = None,
    format: Format | Literal["auto"] | None = None,
    level: int | str | None = None,
    timestamps: bool = True,
    environment: str | None = None,
) -> None:
    """Where obskit writes log lines, and how.

    ``stream`` defaults to ``sys.stderr`` (looked up on every write; stdout stays free
    for program output); ``format`` to ``OBSKIT_LOG_FORMAT``, else ``auto``: ``console`` in
    development when the stream is a terminal, ``json`` anywhere else;
    ``environment`` to what ``obskit.configure(environment=...)`` was given, else
    ``OBSKIT_ENVIRONMENT``, else ``development``; ``level`` to ``OBSKIT_LOG_LEVEL``, else
    ``debug`` in development and ``info`` anywhere else.
    """
    if format not in (None, "auto", "json", "console"):
        raise ValueError(f"format must be 'auto', 'json' or 'console', not {format!r}")
    with _lock:
        STATE.output = LogOutput(
            stream=stream,
            format=None if format == "auto" else format,
            level=level,
            timestamps=timestamps,
            environment=environment or STATE.output.environment,
            service=STATE.output.service,
        )
        STATE.chain = _stale(STATE.chain)


def set_environment(environment: str | None, service: str | None = None) -> None:
    """``obskit.configure()`` passes its ``environment`` (development: console output) and its
    service name (on every JSON line) here."""
    with _lock:
        if environment is not None:
            STATE.output.environment = environment
        if service is not None:
            STATE.output.service = service
        STATE.chain = _stale(STATE.chain)


def _stale(chain: Chain | None) -> Chain | None:
    """Keep the validator (its reported-once memory) and caches; rebuild the rest on next use."""
    return None if chain is None else dataclasses.replace(chain, fresh=False)


class _Sink:
    """The wrapped logger: writes the rendered line to the current stream."""

    __slots__ = ("name",)

    def __init__(self, name: str | None) -> None:
        self.name = name

    def msg(self, message: str) -> None:
        write_line(message)

    debug = info = warning = warn = error = exception = critical = fatal = log = msg

    def __repr__(self) -> str:
        return f"<obskit log sink {self.name!r}>"


def write_line(message: str) -> None:
    """To the configured stream, else the current ``sys.stderr``; never raises or hangs."""
    write(STATE.output.stream or sys.stderr, message)


# -- building the chain ----------------------------------------------------------------------


def _environment(output: LogOutput) -> str:
    return output.environment or os.environ.get("OBSKIT_ENVIRONMENT") or "development"


def _format(output: LogOutput) -> Format:
    """``OBSKIT_LOG_FORMAT`` (``auto`` by default): console only for a person at a terminal in
    development; JSON when the stream is a pipe or a file, whatever the environment."""
    if output.format is not None:
        return output.format
    env_format = os.environ.get("OBSKIT_LOG_FORMAT", "").strip().lower()
    if env_format in ("json", "console"):
        return "json" if env_format == "json" else "console"
    if _environment(output) == "development" and _isatty(output.stream or sys.stderr):
        return "console"
    return "json"


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # a closed or odd stream: not a terminal
        return False


def _min_level(output: LogOutput) -> int:
    level = output.level or os.environ.get("OBSKIT_LOG_LEVEL")
    if level is None:
        return logging.DEBUG if _environment(output) == "development" else logging.INFO
    if isinstance(level, int):
        return level
    return LEVELS.get(level.strip().lower(), logging.INFO)


def _drop_formatter_fields(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Drop ``message``/``asctime``: another handler's ``Formatter.format`` wrote them onto the
    record before obskit's handler ran; they are not fields the caller passed in ``extra``."""
    record = event_dict.get("_record")
    for key in ("message", "asctime"):
        if key in event_dict and event_dict[key] is getattr(record, key, None):
            del event_dict[key]
    return event_dict


#: structlog's level names for the methods that differ (as ``add_log_level`` maps them)
_LEVEL_NAMES: Final = {"warn": "warning", "exception": "error"}


def _add_level_and_logger(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """``level`` (as structlog's ``add_log_level``) and the logger's name: one call per event."""
    event_dict["level"] = _LEVEL_NAMES.get(method_name, method_name)
    name = getattr(logger, "name", None)
    if name:
        event_dict["logger"] = name
    return event_dict


class _BaggageFields:
    """The chosen baggage entries (``configure(baggage_attributes=...)``) as log fields, under
    their log keys, before the validator and the redactor see the event."""

    __slots__ = ("log_keys",)

    def __init__(self, registry: Registry, keys: tuple[str, ...]) -> None:
        self.log_keys = {key: registry.log_key(key) for key in keys}

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        found = chosen_baggage()
        if found:
            for key, value in found.items():
                event_dict.setdefault(self.log_keys[key], value)
        return event_dict


def _build() -> Chain:
    resolved = policy()
    settings, registry = resolved.settings, resolved.registry
    validator, redactor = resolved.validator, resolved.redactor
    output = STATE.output
    previous = STATE.chain
    if previous is not None and previous.settings is settings:  # only the output changed
        bridge = previous.bridge
    else:
        bridge = OTelLogBridge(registry)
    fmt = _format(output)
    stamp: list[Processor] = [Timestamp()] if output.timestamps else []
    checks: list[Processor] = [validator] if validator is not None else []
    # strict mode raises in the user's own calls; a library's log record is only reported
    foreign: list[Processor] = checks
    if validator is not None and validator.mode == "strict":
        foreign = [ConventionValidator(registry, "warn")]
    render: list[Processor]
    if fmt == "json":
        # configured: each line says which service wrote it, and where
        resource = (
            None
            if output.service is None
            else {
                "service.name": output.service,
                "deployment.environment.name": _environment(output),
            }
        )
        render = [JSONRenderer(resource)]
    else:
        stream = output.stream or sys.stderr
        render = [
            structlog.dev.ConsoleRenderer(
                colors=_isatty(stream),
                exception_formatter=structlog.dev.plain_traceback,  # no locals: they hold secrets
            )
        ]
    # Exceptions become text before the redactor runs, so a card number or secret in a message
    # or traceback is scrubbed like any other field (and no raw exception reaches the bridge).
    tail: list[Processor] = [
        add_trace_context,
        _exceptions_as_text,
        redactor,
        bridge,
    ]
    baggage: list[Processor] = (
        [_BaggageFields(registry, settings.baggage_attributes)]
        if settings.baggage_attributes
        else []
    )
    own: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        *baggage,
        *checks,
        _add_level_and_logger,
        *stamp,
        *tail,
        *render,
    ]
    stdlib: list[Processor] = [
        structlog.stdlib.ExtraAdder(),
        _drop_formatter_fields,
        structlog.contextvars.merge_contextvars,
        *baggage,
        *foreign,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        *stamp,
        *tail,
    ]
    return Chain(
        settings=settings,
        registry=registry,
        validator=validator,
        redactor=redactor,
        bridge=bridge,
        format=fmt,
        min_level=_min_level(output),
        processors=tuple(own),
        stdlib=tuple(stdlib),
        render=(structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render),
    )


def current_chain() -> Chain:
    """The chain for the current settings and output (built on first use after a change)."""
    chain: Chain | None = STATE.chain
    if chain is not None and chain.fresh and chain.settings is STATE.settings:
        return chain
    if getattr(_building, "active", False):  # a signal handler logged while this thread builds
        if chain is None:
            raise ChainUnavailable("the log chain is being built on this thread")
        return chain  # the previous chain does for this one line
    with _lock:
        chain = STATE.chain
        if chain is None or not chain.fresh or chain.settings is not STATE.settings:
            _building.active = True
            try:
                chain = STATE.chain = _build()
            finally:
                _building.active = False
        return chain


class ChainUnavailable(RuntimeError):
    """Logged from inside the chain's own first build (a signal handler): no chain to run yet."""


_building = threading.local()


def processors() -> list[Processor]:
    """The current chain for structlog events, in order (the last one renders)."""
    return list(current_chain().processors)


# -- loggers -----------------------------------------------------------------------------------


_format_exc_info: Final = structlog.processors.format_exc_info
_stack_info: Final = structlog.processors.StackInfoRenderer()


def _exceptions_as_text(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """``exception_type`` and ``exception_message`` (the log keys of ``exception.type`` and
    ``exception.message``) from ``exc_info``, then the traceback and ``stack_info`` as text,
    so both the log line and the OpenTelemetry record carry them, redacted like every other
    field. One processor, not three: most events have neither key and pay two lookups."""
    if "exc_info" in event_dict:
        exc = exception_of(event_dict["exc_info"])
        if exc is not None:
            event_dict.setdefault("exception_type", error_type(exc))
            event_dict.setdefault("exception_message", str(exc))
        event_dict = _format_exc_info(logger, method_name, event_dict)
    if "stack_info" in event_dict:
        event_dict = _stack_info(logger, method_name, event_dict)
    return event_dict


def _dispatch(logger: WrappedLogger, method_name: str, event_dict: Any) -> Any:
    chain: Chain | None = STATE.chain
    if chain is None or not chain.fresh or chain.settings is not STATE.settings:
        try:
            chain = current_chain()
        except Exception as exc:  # re-entered during the first build, or conventions broke
            return _fallback(None, method_name, event_dict, exc)
    if LEVELS.get(method_name, logging.INFO) < chain.min_level:
        raise structlog.DropEvent
    try:
        for processor in chain.processors:
            event_dict = processor(logger, method_name, event_dict)
    except (structlog.DropEvent, ConventionError):
        raise  # a filter, or strict mode: what the user asked for
    except Exception as exc:  # a log call must never break the code that makes it
        return _fallback(chain, method_name, event_dict, exc)
    return event_dict


def _text_keys(value: Any, depth: int = 0) -> Any:
    """Mapping keys as text all the way down (JSON accepts nothing else as a key)."""
    if depth > 8:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _text_keys(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_text_keys(v, depth + 1) for v in value]
    return value


def _fallback(chain: Chain | None, method_name: str, event_dict: Any, exc: Exception) -> str:
    """A line that still says what happened when a processor or the renderer failed (say, a
    field JSON cannot encode): keys as text, values by ``repr``, sensitive values redacted.
    Without a chain (logged from inside its first build) only the event and level."""
    if not isinstance(exc, ChainUnavailable) and first_time("log_fallback"):
        _log.warning("obskit: a log event could not be processed (%r); logged as text", exc)
    try:
        if chain is not None:
            safe = {str(k): v for k, v in dict(event_dict).items() if k != "exc_info"}
            safe = dict(chain.redactor(None, method_name, safe))
            safe.setdefault("level", method_name)
            return json.dumps(_text_keys(safe), default=repr)
    except Exception:
        pass
    return json.dumps({"event": str(event_dict.get("event", "")), "level": method_name})


_BoundLogger = structlog.make_filtering_bound_logger(logging.NOTSET)
_DISPATCH: Final[Sequence[Processor]] = (_dispatch,)


def get_logger(name: str | None = None, **initial_values: Any) -> FilteringBoundLogger:
    """A structlog logger wired to obskit's chain, whenever ``obskit.configure()`` is called.

    Trace context, the convention validator, redaction, the OpenTelemetry log bridge, then
    JSON (production) or console (development) output.
    """
    logger: FilteringBoundLogger = _BoundLogger(
        _Sink(name),  # type: ignore[call-arg]
        _DISPATCH,
        initial_values,
    )
    return logger


def log_event(name: str, level: str, event: str, fields: dict[str, Any]) -> None:
    """One of obskit's own events through the chain (the state's ``log_event`` hook, so code
    below the logging layer logs here without importing it)."""
    getattr(get_logger(name), level)(event, **fields)


STATE.log_event = log_event
