"""What a Weaver policy sees: one registry's attributes and signals, indexed, with their places.

Weaver's policies run over ``input.registry`` (and, for compatibility, a baseline in
``data.registry``); :class:`RegistryInput` is that view built from parsed YAML files, so each
policy module reads like the Rego it reproduces.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from ._loader import AttributeDef, ParsedFile, Signal


@dataclass(frozen=True, slots=True)
class Where:
    """The file and line a violation is about."""

    path: Path
    line: int


#: ``(id, subject name, message, where)``: one policy finding before it becomes a Finding.
Violation: TypeAlias = tuple[str, str, str, Where]


class RegistryInput:
    """Attributes by key and signals by kind, as Weaver's resolved registry lists them."""

    def __init__(self, files: Sequence[ParsedFile]) -> None:
        self.attributes: dict[str, tuple[AttributeDef, Where]] = {}
        self.signals: list[tuple[Signal, Where]] = []
        for parsed in files:
            for definition in parsed.attributes:
                where = Where(parsed.path, definition.line)
                self.attributes[definition.attribute.name] = (definition, where)
            self.signals.extend((s, Where(parsed.path, s.line)) for s in parsed.signals)

    def of(self, kind: str) -> Iterator[tuple[Signal, Where]]:
        return ((s, w) for s, w in self.signals if s.kind == kind)

    def named(self, kind: str) -> dict[str, tuple[Signal, Where]]:
        """Signals of one kind by name (a span by its type, an entity by its type)."""
        return {s.name: (s, w) for s, w in self.of(kind)}

    def type_of(self, key: str) -> str | None:
        found = self.attributes.get(key)
        return found[0].attribute.type if found else None

    def live_names(self, kind: str) -> set[str]:
        """Names not deprecated: what a ``renamed_to`` may point at."""
        if kind == "attribute":
            return {k for k, (d, _) in self.attributes.items() if d.attribute.deprecated is None}
        return {s.name for s, _ in self.of(kind) if not s.deprecated}
