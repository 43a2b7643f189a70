"""Structured logs correlated with traces, named like the registry says (structlog).

``get_logger()`` returns a structlog logger whose events run through one chain, the same for
stdlib ``logging`` records once :func:`install_stdlib_handler` (called by ``obskit.configure()``)
added obskit's handler::

    merge_contextvars -> ConventionValidator (off | warn | fix | strict) -> level, logger name,
    timestamp -> add_trace_context -> Redactor -> OTelLogBridge -> JSON or console rendering

obskit never calls ``structlog.configure()``: a host's own structlog setup is left alone.
"""

from __future__ import annotations

from structlog import typing as _typing

from obskit._redaction import MARKER, Redactor, luhn_valid
from obskit._spans import validate_attributes
from obskit._validator import EXEMPT_KEYS, ConventionError, ConventionValidator
from obskit.logging._bridge import OTelLogBridge
from obskit.logging._chain import configure_logging, get_logger, processors
from obskit.logging._context import add_trace_context
from obskit.logging._stdlib import ObskitHandler, install_stdlib_handler

__all__ = [
    "EXEMPT_KEYS",
    "MARKER",
    "ConventionError",
    "ConventionValidator",
    "OTelLogBridge",
    "ObskitHandler",
    "Redactor",
    "add_trace_context",
    "configure_logging",
    "get_logger",
    "install_stdlib_handler",
    "luhn_valid",
    "processors",
    "redact",
    "validate_attributes",
]


def redact(
    logger: _typing.WrappedLogger, method_name: str, event_dict: _typing.EventDict
) -> _typing.EventDict:
    """A structlog processor: the current chain's redaction (built-in rules and the registry)."""
    from obskit.logging._chain import current_chain

    return current_chain().redactor(logger, method_name, event_dict)
