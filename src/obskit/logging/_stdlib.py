"""stdlib ``logging`` records through the same chain as structlog events.

:func:`install_stdlib_handler` adds one handler (never replaces the host's) to the root logger;
its ``structlog.stdlib.ProcessorFormatter`` runs the current chain's pre-processing on each
record (``foreign_pre_chain``) and renders it like every other event, to the same stream.
Levels stay the host's business: the handler has none of its own.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from obskit._losses import losses
from obskit.logging._chain import ChainUnavailable, current_chain, write_line
from obskit.logging._write import LOG_LINE

__all__ = ["ObskitHandler", "install_stdlib_handler"]

_local = threading.local()


def _pre_chain(logger: WrappedLogger, method_name: str, event_dict: Any) -> EventDict:
    for processor in current_chain().stdlib:
        event_dict = processor(logger, method_name, event_dict)
    result: EventDict = event_dict
    return result


def _render(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
    result: object = event_dict
    for processor in current_chain().render:
        result = processor(logger, method_name, result)  # type: ignore[arg-type]
    return str(result)


def _plain(record: logging.LogRecord) -> str:
    return f"{record.levelname} {record.name}: {record.getMessage()}"


class ObskitHandler(logging.Handler):
    """Writes records, rendered by obskit's chain, where obskit writes its log lines."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[_pre_chain], processors=[_render], pass_foreign_args=False
            )
        )

    def handle(self, record: logging.LogRecord) -> bool:
        """Like ``Handler.handle`` without the handler-wide lock: a thread blocked on a full
        stream must not hold every other thread (or a signal handler) behind it; the write
        itself is serialised, with a bound, where it happens."""
        result = self.filter(record)
        if isinstance(result, logging.LogRecord):  # Python 3.12+: a filter may replace it
            record = result
        if result:
            self.emit(record)
        return bool(result)

    def emit(self, record: logging.LogRecord) -> None:
        busy = getattr(_local, "busy", False)
        _local.busy = True
        try:
            if busy:  # a processor, or a stream that logs, logged while handling a record
                write_line(_plain(record))
            else:
                write_line(self.format(record))
        except ChainUnavailable:  # a signal handler logged during the chain's first build
            write_line(_plain(record))
        except Exception:
            self._failed(record)
        finally:
            _local.busy = busy

    def _failed(self, record: logging.LogRecord) -> None:
        """stdlib's report of a record that cannot be formatted (bad ``%`` arguments), which
        itself writes to ``sys.stderr``; if that fails too, the record is counted as dropped."""
        try:
            self.handleError(record)
        except Exception as exc:
            losses.add(LOG_LINE, type(exc).__qualname__)


def install_stdlib_handler(logger: logging.Logger | None = None) -> ObskitHandler:
    """Add obskit's handler to ``logger`` (the root logger by default), once.

    The host's own handlers stay where they are (a record they also handle is written by both).
    """
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if isinstance(handler, ObskitHandler):
            return handler
    handler = ObskitHandler()
    target.addHandler(handler)
    return handler
