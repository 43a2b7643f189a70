"""``obskit conventions check``: Weaver's ``naming_conventions`` policy package, in Python.

Reproduces ``policies/check/naming_conventions/*.rego`` from the
open-telemetry/opentelemetry-weaver-packages repository (ids, levels and messages), so a registry
can be checked where the ``weaver`` binary is not installed. ``names.rego`` and
``yaml_schema.rego`` both ship in that package and overlap, so a bad name is reported under both
ids, as Weaver does. Findings form a set: duplicates collapse. Attribute groups are checked
when public (v2 ``visibility: public``), as in Weaver's resolved registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ._findings import Finding, Level
from ._loader import AttributeDef, ParsedFile, Signal, parse_sources

NAME_REGEX: Final = re.compile(r"^[a-z][a-z0-9]*([._][a-z0-9]+)*$")
HAS_NAMESPACE_REGEX: Final = re.compile(r"^[a-z0-9_]+\.([a-z0-9._]+)+$")
_HELPER: Final = "must consist of lowercase alphanumeric characters separated by '_' and '.'"
_COMPLEX: Final = frozenset({"any", "template[any]"})


@dataclass(frozen=True, slots=True)
class Located:
    """A finding and the file and line it is about."""

    finding: Finding
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.finding.code} {self.finding.message}"


@dataclass(frozen=True, slots=True)
class _Where:
    path: Path
    line: int


class _Policy:
    def __init__(self, files: Sequence[ParsedFile]) -> None:
        self.attributes: dict[str, tuple[AttributeDef, _Where]] = {}
        self.signals: list[tuple[Signal, _Where]] = []
        for parsed in files:
            for definition in parsed.attributes:
                where = _Where(parsed.path, definition.line)
                self.attributes[definition.attribute.name] = (definition, where)
            self.signals.extend((s, _Where(parsed.path, s.line)) for s in parsed.signals)

    def of(self, kind: str) -> Iterator[tuple[Signal, _Where]]:
        return ((s, w) for s, w in self.signals if s.kind == kind)

    def type_of(self, key: str) -> str | None:
        found = self.attributes.get(key)
        return found[0].attribute.type if found else None

    def run(self) -> Iterator[tuple[str, str, str, _Where]]:
        """``(id, subject name, message, where)`` for every violation."""
        yield from self.names()
        yield from self.attribute_collisions()
        yield from self.complex_types()
        yield from self.signal_constant_collisions()
        yield from self.enum_member_collisions()
        yield from self.metric_briefs()
        yield from self.metric_namespace_collisions()

    # names.rego and yaml_schema.rego
    def names(self) -> Iterator[tuple[str, str, str, _Where]]:
        for key, (definition, where) in self.attributes.items():
            if not NAME_REGEX.match(key):
                message = f"Attribute name '{key}' is invalid. Attribute name {_HELPER}"
                yield "naming_convention_attribute_name_format", key, message, where
            if definition.attribute.deprecated is None and not HAS_NAMESPACE_REGEX.match(key):
                message = (
                    f"Attribute name '{key}' should have a namespace. Attribute name {_HELPER}"
                )
                yield "naming_convention_attr_has_namespace", key, message, where
                yield "naming_convention_attribute_name_namespace", key, message, where
            for member in definition.member_defs:
                if not NAME_REGEX.match(member.id):
                    message = (
                        f"Member id '{member.id}' on attribute '{key}' is invalid. "
                        f"Member id {_HELPER}"
                    )
                    yield "naming_convention_enum_id", key, message, where
                    yield "naming_convention_enum_member_id_format", key, message, where
        for kind, label, old_id, new_id in (
            (
                "entity",
                "Entity type",
                "naming_convention_entity_type",
                "naming_convention_entity_type_format",
            ),
            ("span", "Span type", "naming_convention_span_type", None),
            (
                "metric",
                "Metric name",
                "naming_convention_metric_name",
                "naming_convention_metric_name_format",
            ),
            (
                "event",
                "Event name",
                "naming_convention_event_name",
                "naming_convention_event_name_format",
            ),
        ):
            for signal, where in self.of(kind):
                if signal.name and not NAME_REGEX.match(signal.name):
                    message = f"{label} '{signal.name}' is invalid. {label} {_HELPER}"
                    yield old_id, signal.name, message, where
                    if new_id:
                        yield new_id, signal.name, message, where
        for signal, where in self.of("event"):
            if "event.name" in signal.refs:
                message = (
                    f"Attribute 'event.name' is referenced on event '{signal.name}'. Event name "
                    "must be provided in the 'name' property of the event."
                )
                yield (
                    "naming_convention_event_name_attribute_forbidden",
                    signal.name,
                    message,
                    where,
                )

    # attribute_name_collisions.rego
    def attribute_collisions(self) -> Iterator[tuple[str, str, str, _Where]]:
        by_constant: dict[str, list[str]] = {}
        for key, (definition, _) in self.attributes.items():
            if not definition.excluded:
                by_constant.setdefault(key.replace(".", "_"), []).append(key)
        for constant, keys in by_constant.items():
            for key in keys:
                for other in keys:
                    if other != key:
                        message = (
                            f"Attribute '{key}' has the same constant name '{constant}' "
                            f"as '{other}'."
                        )
                        where = self.attributes[key][1]
                        yield "naming_convention_attribute_constant_collision", key, message, where
        active = sorted(
            k for k, (d, _) in self.attributes.items() if d.attribute.deprecated is None
        )
        for key in active:
            prefix = key + "."
            for other in active:
                if other.startswith(prefix):
                    message = (
                        f"Attribute '{key}' name is used as a namespace in the following "
                        f"attribute '{other}'."
                    )
                    where = self.attributes[key][1]
                    yield "naming_convention_attribute_namespace_collision", key, message, where

    # attribute_types.rego
    def complex_types(self) -> Iterator[tuple[str, str, str, _Where]]:
        checks = (
            ("metric", "refs", "is referenced on metric"),
            ("entity", "identity", "is used as identity on entity"),
            ("entity", "description", "is used in description on entity"),
            ("attribute_group", "refs", "is referenced on group"),
        )
        for kind, field, phrase in checks:
            for signal, where in self.of(kind):
                for key in getattr(signal, field):
                    type_ = self.type_of(key)
                    if type_ in _COMPLEX:
                        message = (
                            f"Attribute '{key}' has type '{type_}' and {phrase} '{signal.name}'. "
                            "Complex attributes are only allowed on events and spans."
                        )
                        yield (
                            "naming_convention_attribute_complex_type_violation",
                            key,
                            message,
                            where,
                        )

    # constant_name_collisions.rego
    def signal_constant_collisions(self) -> Iterator[tuple[str, str, str, _Where]]:
        for kind in ("metric", "event", "entity"):
            entries = [(s, w) for s, w in self.of(kind) if not s.excluded]
            for signal, where in entries:
                constant = signal.name.replace(".", "_")
                for other, _ in entries:
                    if other.name != signal.name and other.name.replace(".", "_") == constant:
                        message = (
                            f"{kind} '{signal.name}' has the same constant name '{constant}' "
                            f"as '{other.name}'."
                        )
                        yield (
                            f"naming_convention_{kind}_constant_collision",
                            signal.name,
                            message,
                            where,
                        )

    # enum_member_collisions.rego
    def enum_member_collisions(self) -> Iterator[tuple[str, str, str, _Where]]:
        code = "naming_convention_enum_member_collision"
        for key, (definition, where) in self.attributes.items():
            members = definition.member_defs
            for member in members:
                if sum(1 for m in members if m.id == member.id) > 1:
                    message = (
                        f"Member with id '{member.id}' is defined more than once on attribute "
                        f"'{key}'. Member ids must be unique."
                    )
                    yield code, key, message, where
                live = [m for m in members if not m.deprecated]
                if not member.deprecated and sum(1 for m in live if m.value == member.value) > 1:
                    message = (
                        f"Member with value '{member.value}' (id '{member.id}') is defined more "
                        f"than once on attribute '{key}'. Member values must be unique."
                    )
                    yield code, key, message, where
                if not member.excluded:
                    constant = member.id.replace(".", "_")
                    same = [
                        m for m in members if not m.excluded and m.id.replace(".", "_") == constant
                    ]
                    if len(same) > 1:
                        message = (
                            f"Member with constant name '{constant}' (id '{member.id}') is defined "
                            f"more than once on attribute '{key}'. Member constant names must be "
                            "unique."
                        )
                        yield code, key, message, where

    # metric_brief_format.rego
    def metric_briefs(self) -> Iterator[tuple[str, str, str, _Where]]:
        for signal, where in self.of("metric"):
            brief = signal.brief.strip(" \n")
            if brief and not brief.endswith("."):
                message = f"Non-empty metric brief '{brief}' must end with a period (.)."
                yield "naming_convention_metric_brief_period", signal.name, message, where

    # metrics_collisions.rego
    def metric_namespace_collisions(self) -> Iterator[tuple[str, str, str, _Where]]:
        live = [(s, w) for s, w in self.of("metric") if not s.deprecated]
        for signal, where in live:
            prefix = signal.name + "."
            for other, _ in live:
                exceptions = signal.policy_exceptions | other.policy_exceptions
                if "metric_namespace_collision" in exceptions:
                    continue
                if other.name != signal.name and other.name.startswith(prefix):
                    message = (
                        f"Metric with name '{signal.name}' is used as a namespace in the following "
                        f"metric '{other.name}'."
                    )
                    yield (
                        "naming_convention_metric_namespace_collision",
                        signal.name,
                        message,
                        where,
                    )


def check_files(files: Sequence[ParsedFile]) -> list[Located]:
    """Load errors (code ``load_error``) and policy violations, deduplicated and sorted."""
    found: dict[tuple[str, str], Located] = {}
    for parsed in files:
        for error in parsed.errors:
            finding = Finding("load_error", Level.VIOLATION, error.path.name, error.message)
            found.setdefault((finding.code, str(error)), Located(finding, error.path, error.line))
    for code, name, message, where in _Policy(files).run():
        finding = Finding(code, Level.VIOLATION, name, message)
        found.setdefault((code, message), Located(finding, where.path, where.line))
    return sorted(
        found.values(), key=lambda f: (str(f.path), f.line, f.finding.code, f.finding.message)
    )


def check_registry(*sources: str | Path) -> list[Located]:
    """Run the naming policy over registry directories or files (no semconv package)."""
    return check_files(parse_sources([Path(s) for s in sources]))
