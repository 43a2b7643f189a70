"""The shop's logs: obskit's public logger and chain, exactly as a service uses them.

The shop logs through ``obskit.get_logger``, so every event runs the chain in force: the current
trace context, the convention validator (the demo runs in ``fix`` mode: ``orderId`` becomes
``order_id``), redaction, and the bridge that makes it an OpenTelemetry log record under the span
that wrote it. Where the lines go is obskit's logging output (``obskit demo`` sends them to a
buffer: the waterfall shows each record under its span). A naming problem is reported the way any
service sees it, once, as an ``obskit.convention.finding`` warning (itself a record); the summary
reads the findings back from those records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord

from obskit._modes import Mode
from obskit.view._otlp_json import SERVICE_ATTRIBUTE

__all__ = ["FINDING_EVENT", "LOGGER", "ConventionFinding", "findings"]

#: the shop's logger name, and so the instrumentation scope of its records
LOGGER: Final = "obskit.demo"
#: the warning obskit's validator logs for each distinct naming problem
FINDING_EVENT: Final = "obskit.convention.finding"
#: codes where the key is another spelling of a registered name: ``fix`` renames it
_RENAMED: Final = frozenset({"near_duplicate", "deprecated"})


@dataclass(frozen=True)
class ConventionFinding:
    """One distinct naming problem the validator saw in a log event, and what it did."""

    service: str
    key: str
    code: str
    fixed_to: str | None


def findings(records: Iterable[ReadableLogRecord], mode: Mode) -> list[ConventionFinding]:
    """The validator's warnings among ``records``, with the service that logged the bad key."""
    found = []
    for record in records:
        if record.log_record.body != FINDING_EVENT:
            continue
        attributes = record.log_record.attributes or {}
        code = str(attributes.get("obskit.convention.finding.code", ""))
        suggestion = attributes.get("obskit.convention.finding.suggestion")
        renamed = mode == "fix" and code in _RENAMED and isinstance(suggestion, str)
        found.append(
            ConventionFinding(
                str(attributes.get(SERVICE_ATTRIBUTE, "unknown")),
                str(attributes.get("obskit.convention.finding.name", "")),
                code,
                str(suggestion) if renamed else None,
            )
        )
    return found
