"""The shop's log pipeline: structlog events, trace context, the convention validator, OTel logs.

The chain is built here, per demo run, instead of reconfiguring structlog globally: running the
demo inside a test (or a host application) leaves the host's logging alone. Each event gets the
current trace context, passes the convention validator in ``fix`` mode (``orderId`` becomes
``order_id``; each distinct problem is reported once), and becomes an OpenTelemetry log record
linked to the current span, so the viewer can show it under the span that wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry._logs import SeverityNumber
from structlog.typing import Processor

from obskit.conventions import Finding, Registry
from obskit.demo._services import current_service
from obskit.logging import ConventionValidator, OTelLogBridge, add_trace_context

__all__ = ["ConventionFinding", "ShopLogs"]

_SEVERITY = {
    "debug": SeverityNumber.DEBUG,
    "info": SeverityNumber.INFO,
    "warning": SeverityNumber.WARN,
    "warn": SeverityNumber.WARN,
    "error": SeverityNumber.ERROR,
    "critical": SeverityNumber.FATAL,
}
_RESERVED = frozenset({"event", "trace_id", "span_id", "trace_flags", "level", "timestamp"})


@dataclass(frozen=True)
class ConventionFinding:
    """One distinct naming problem the validator saw in a log event, and what it did."""

    service: str
    key: str
    code: str
    message: str
    fixed_to: str | None


class ShopLogs:
    """Loggers for the shop's services, sharing one validator (and so one set of findings).

    The validator is obskit's ``ConventionValidator`` in ``fix`` mode, reporting into this
    object; the bridge is obskit's, so records carry the canonical attribute names.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._findings: list[ConventionFinding] = []
        self._processors: list[Processor] = [
            add_trace_context,
            ConventionValidator(registry, "fix", report=self._record),
            OTelLogBridge(registry, scope="obskit.demo"),
        ]

    def _record(self, finding: Finding, kind: str) -> None:
        renamed = finding.code in ("near_duplicate", "deprecated") and finding.suggestion
        self._findings.append(
            ConventionFinding(
                current_service() or "unknown",
                finding.name,
                finding.code,
                finding.message,
                self.registry.log_key(finding.suggestion)
                if renamed and finding.suggestion
                else None,
            )
        )

    @property
    def findings(self) -> list[ConventionFinding]:
        return list(self._findings)

    def logger(self) -> Any:
        return structlog.wrap_logger(
            structlog.ReturnLogger(),
            processors=self._processors,
            wrapper_class=structlog.BoundLogger,
        )
