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

from obskit.logging._chain import current_chain, write_line

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


class ObskitHandler(logging.Handler):
    """Writes records, rendered by obskit's chain, where obskit writes its log lines."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[_pre_chain], processors=[_render], pass_foreign_args=False
            )
        )

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(_local, "busy", False):  # a processor logged while handling a record
            write_line(f"{record.levelname} {record.name}: {record.getMessage()}")
            return
        _local.busy = True
        try:
            write_line(self.format(record))
        except Exception:
            self.handleError(record)
        finally:
            _local.busy = False


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
