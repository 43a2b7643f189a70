"""What lint, check and drift hand to the reporters: findings with a place, and a summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from obskit.conventions import Finding, Level

__all__ = ["LocatedFinding", "Summary"]


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A registry :class:`Finding` at ``path:line:col`` (1-based; ``col`` counts characters).

    ``context`` says where inside the place, for captured telemetry (``span 'GET /orders'``).
    """

    finding: Finding
    path: str
    line: int = 1
    col: int = 1
    end_col: int | None = None
    context: str = ""

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def level(self) -> Level:
        return self.finding.level

    @property
    def message(self) -> str:
        text = self.finding.message
        return f"{text} ({self.context})" if self.context else text


@dataclass(slots=True)
class Summary:
    """Counts for the one-line summary every command prints."""

    files: int = 0
    names: int = 0
    dynamic: int = 0
    baselined: int = 0
    suppressed: int = 0
    by_level: Counter[Level] = field(default_factory=Counter)
    noun: str = "files"

    def line(self) -> str:
        levels = ", ".join(
            f"{self.by_level.get(level, 0)} {level.name.lower()}" for level in reversed(Level)
        )
        parts = [f"{self.files} {self.noun}", f"{self.names} names checked", levels]
        parts.append(f"{self.dynamic} dynamic names")
        if self.suppressed:
            parts.append(f"{self.suppressed} suppressed")
        if self.baselined:
            parts.append(f"{self.baselined} in baseline")
        return "obskit: " + "; ".join(parts)
