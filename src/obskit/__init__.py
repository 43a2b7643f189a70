"""obskit: make a distributed Python service debuggable by design.

Traces that follow a request across HTTP and message brokers, logs correlated with them and
named the same way in every service, one classification of errors, and tests that assert on
what a service emits.

Every service pays for ``import obskit`` at start and every pre-commit run pays for it on each
call, so the public names load their subsystem on first use (PEP 562): the OpenTelemetry SDK,
structlog (and the rich it pulls in), YAML and the broker adapters stay out of a bare import.
"""

from __future__ import annotations

import typing as _typing

from obskit._lazy import lazy_names as _lazy_names
from obskit.errors import BusinessRuleViolation, ErrorKind, ErrorPolicy

if _typing.TYPE_CHECKING:
    from obskit._setup import Telemetry, configure, reset
    from obskit._traced import traced
    from obskit.logging import get_logger
    from obskit.messaging import publishing
    from obskit.propagation import extract, inject

__version__ = "0.1.0"

__all__ = [
    "BusinessRuleViolation",
    "ErrorKind",
    "ErrorPolicy",
    "Telemetry",
    "__version__",
    "configure",
    "extract",
    "get_logger",
    "inject",
    "publishing",
    "reset",
    "traced",
]

#: public name -> the module that defines it, imported on first access
_LAZY = {
    "Telemetry": "obskit._setup",
    "configure": "obskit._setup",
    "reset": "obskit._setup",
    "traced": "obskit._traced",
    "get_logger": "obskit.logging",
    "publishing": "obskit.messaging",
    "extract": "obskit.propagation",
    "inject": "obskit.propagation",
}


__getattr__, __dir__ = _lazy_names("obskit", _LAZY, globals(), __all__)
