"""Which hop lost the trace: consumer spans that started without incoming context, counted per
service and destination in captured OTLP JSON.

A consumer span lost its context when obskit said so (``obskit.context.missing``), or, from any
SDK, when it has neither a parent nor a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from obskit.view._otlp_json import decode

__all__ = ["ContextGaps"]

_CONSUMER = 5  # SpanKind.CONSUMER in OTLP


@dataclass(slots=True)
class ContextGaps:
    """``(service, destination) -> [consumer spans, of which without incoming context]``."""

    consumers: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, documents: Iterable[Mapping[str, Any]]) -> None:
        for span in decode(documents).spans:
            if span.kind != _CONSUMER:
                continue
            attributes = span.attributes
            destination = str(
                attributes.get("messaging.destination.name")
                or attributes.get("messaging.destination.template")
                or span.name
            )
            missing = attributes.get("obskit.context.missing") is True or not (
                span.parent_span_id or span.links
            )
            counts = self.consumers.setdefault((span.service, destination), [0, 0])
            counts[0] += 1
            counts[1] += int(missing)

    @property
    def missing(self) -> int:
        return sum(missing for _total, missing in self.consumers.values())

    def as_dict(self) -> list[dict[str, object]]:
        return [
            {
                "service": service,
                "destination": destination,
                "consumer_spans": total,
                "without_context": missing,
            }
            for (service, destination), (total, missing) in sorted(self.consumers.items())
        ]

    def lines(self) -> list[str]:
        """Nothing when every consumer span continued a trace; else one line per hop."""
        if not self.missing:
            return []
        total = sum(total for total, _missing in self.consumers.values())
        lines = [f"trace context: {self.missing} of {total} consumer spans had no incoming context"]
        for (service, destination), (spans, missing) in sorted(self.consumers.items()):
            if missing:
                lines.append(f"  {service} <- {destination}: {missing} of {spans}")
        return lines
