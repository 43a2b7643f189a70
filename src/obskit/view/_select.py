"""Which traces match ``--where key=value``, ``--service`` and ``--error``: a file's search.

The same rules as ``obskit serve``'s ``/api/traces``: a ``where`` matches a span or resource
attribute by its text (strings, integers, ``true``/``false``; floating-point values such as ages
and durations are measurements, compared by range, never by equality, so they are not searched),
every filter must hold, and a trace matches when any of its spans does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from obskit.view._otlp_json import SpanRecord, TelemetryFile

__all__ = ["Selection", "parse_where", "searchable"]

MAX_INDEXED: Final = 256  # longer values (stack traces, bodies) are not searched


def searchable(value: object) -> str | None:
    """The searchable spelling of an attribute value (``where=key=value`` compares text)."""
    if type(value) is str:
        return value if len(value) <= MAX_INDEXED else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return None


def parse_where(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``key=value`` strings as pairs; raises ``ValueError`` naming a malformed one."""
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"where wants key=value, not {item!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class Selection:
    where: tuple[tuple[str, str], ...] = ()
    service: str | None = None
    error: bool | None = None

    def _has(self, span: SpanRecord, key: str, value: str) -> bool:
        found = span.attributes.get(key, span.resource.get(key))
        return found is not None and searchable(found) == value

    def matches(self, spans: Sequence[SpanRecord]) -> bool:
        if self.service and not any(s.service == self.service for s in spans):
            return False
        if self.error is not None and any(s.is_error for s in spans) != self.error:
            return False
        return all(any(self._has(s, k, v) for s in spans) for k, v in self.where)

    def apply(self, telemetry: TelemetryFile) -> TelemetryFile:
        """The telemetry of the matching traces only (logs without a trace are dropped)."""
        by_trace: dict[str, list[SpanRecord]] = {}
        for span in telemetry.spans:
            by_trace.setdefault(span.trace_id, []).append(span)
        kept = {t for t, spans in by_trace.items() if self.matches(spans)}
        return TelemetryFile(
            spans=[s for s in telemetry.spans if s.trace_id in kept],
            logs=[r for r in telemetry.logs if r.trace_id in kept],
            metrics=telemetry.metrics,
        )
