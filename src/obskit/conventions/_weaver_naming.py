"""Weaver's ``naming_conventions`` policy package, and the semantic-conventions repository's own.

``naming_conventions`` reproduces ``policies/check/naming_conventions/*.rego`` from
open-telemetry/opentelemetry-weaver-packages (ids, levels and messages). ``semconv`` reproduces
the ``yaml_schema.rego`` rules the semantic-conventions repository runs on itself (name formats
under their own ids, ``event.name`` on events): that package dropped them as duplicates, so they
are a separate, opt-in policy set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._weaver_input import RegistryInput, Violation

NAME_REGEX: Final = re.compile(r"^[a-z][a-z0-9]*([._][a-z0-9]+)*$")
HAS_NAMESPACE_REGEX: Final = re.compile(r"^[a-z0-9_]+\.([a-z0-9._]+)+$")
_HELPER: Final = "must consist of lowercase alphanumeric characters separated by '_' and '.'"
_COMPLEX: Final = frozenset({"any", "template[any]"})
_SIGNAL_LABELS: Final = (
    ("entity", "Entity type"),
    ("span", "Span type"),
    ("metric", "Metric name"),
    ("event", "Event name"),
)


def _namespace_missing(reg: RegistryInput, ids: tuple[str, ...]) -> Iterator[Violation]:
    for key, (definition, where) in reg.attributes.items():
        if definition.attribute.deprecated is None and not HAS_NAMESPACE_REGEX.match(key):
            message = f"Attribute name '{key}' should have a namespace. Attribute name {_HELPER}"
            for id_ in ids:
                yield id_, key, message, where


def _bad_member_ids(reg: RegistryInput, id_: str) -> Iterator[Violation]:
    for key, (definition, where) in reg.attributes.items():
        for member in definition.member_defs:
            if not NAME_REGEX.match(member.id):
                message = (
                    f"Member id '{member.id}' on attribute '{key}' is invalid. Member id {_HELPER}"
                )
                yield id_, key, message, where


def _bad_signal_names(
    reg: RegistryInput, suffix: str, kinds: tuple[str, ...]
) -> Iterator[Violation]:
    for kind, label in _SIGNAL_LABELS:
        if kind not in kinds:
            continue
        id_ = f"naming_convention_{label.lower().replace(' ', '_')}{suffix}"
        for signal, where in reg.of(kind):
            if signal.name and not NAME_REGEX.match(signal.name):
                message = f"{label} '{signal.name}' is invalid. {label} {_HELPER}"
                yield id_, signal.name, message, where


# names.rego
def names(reg: RegistryInput) -> Iterator[Violation]:
    yield from _namespace_missing(reg, ("naming_convention_attr_has_namespace",))
    yield from _bad_member_ids(reg, "naming_convention_enum_id")
    yield from _bad_signal_names(reg, "", ("entity", "span", "metric", "event"))


# yaml_schema.rego of the semantic-conventions repository
def semconv_names(reg: RegistryInput) -> Iterator[Violation]:
    for key in reg.attributes:
        if not NAME_REGEX.match(key):
            message = f"Attribute name '{key}' is invalid. Attribute name {_HELPER}"
            yield "naming_convention_attribute_name_format", key, message, reg.attributes[key][1]
    yield from _namespace_missing(reg, ("naming_convention_attribute_name_namespace",))
    yield from _bad_member_ids(reg, "naming_convention_enum_member_id_format")
    yield from _bad_signal_names(reg, "_format", ("entity", "metric", "event"))
    for signal, where in reg.of("event"):
        if "event.name" in signal.refs:
            message = (
                f"Attribute 'event.name' is referenced on event '{signal.name}'. Event name "
                "must be provided in the 'name' property of the event."
            )
            yield "naming_convention_event_name_attribute_forbidden", signal.name, message, where


# attribute_name_collisions.rego
def attribute_collisions(reg: RegistryInput) -> Iterator[Violation]:
    by_constant: dict[str, list[str]] = {}
    for key, (definition, _) in reg.attributes.items():
        if not definition.excluded:
            by_constant.setdefault(key.replace(".", "_"), []).append(key)
    for constant, keys in by_constant.items():
        for key in keys:
            for other in keys:
                if other != key:
                    message = (
                        f"Attribute '{key}' has the same constant name '{constant}' as '{other}'."
                    )
                    where = reg.attributes[key][1]
                    yield "naming_convention_attribute_constant_collision", key, message, where
    active = sorted(k for k, (d, _) in reg.attributes.items() if d.attribute.deprecated is None)
    for key in active:
        prefix = key + "."
        for other in active:
            if other.startswith(prefix):
                message = (
                    f"Attribute '{key}' name is used as a namespace in the following "
                    f"attribute '{other}'."
                )
                where = reg.attributes[key][1]
                yield "naming_convention_attribute_namespace_collision", key, message, where


# attribute_types.rego
def complex_types(reg: RegistryInput) -> Iterator[Violation]:
    checks = (
        ("metric", "refs", "is referenced on metric"),
        ("entity", "identity", "is used as identity on entity"),
        ("entity", "description", "is used in description on entity"),
        ("attribute_group", "refs", "is referenced on group"),
    )
    for kind, field, phrase in checks:
        for signal, where in reg.of(kind):
            for key in getattr(signal, field):
                type_ = reg.type_of(key)
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
def signal_constant_collisions(reg: RegistryInput) -> Iterator[Violation]:
    for kind in ("metric", "event", "entity"):
        entries = [(s, w) for s, w in reg.of(kind) if not s.excluded]
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
def enum_member_collisions(reg: RegistryInput) -> Iterator[Violation]:
    code = "naming_convention_enum_member_collision"
    for key, (definition, where) in reg.attributes.items():
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
                same = [m for m in members if not m.excluded and m.id.replace(".", "_") == constant]
                if len(same) > 1:
                    message = (
                        f"Member with constant name '{constant}' (id '{member.id}') is defined "
                        f"more than once on attribute '{key}'. Member constant names must be "
                        "unique."
                    )
                    yield code, key, message, where


# metric_brief_format.rego
def metric_briefs(reg: RegistryInput) -> Iterator[Violation]:
    for signal, where in reg.of("metric"):
        brief = signal.brief.strip(" \n")
        if brief and not brief.endswith("."):
            message = f"Non-empty metric brief '{brief}' must end with a period (.)."
            yield "naming_convention_metric_brief_period", signal.name, message, where


# metrics_collisions.rego
def metric_namespace_collisions(reg: RegistryInput) -> Iterator[Violation]:
    live = [(s, w) for s, w in reg.of("metric") if not s.deprecated]
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


NAMING_CONVENTIONS: Final = (
    names,
    attribute_collisions,
    complex_types,
    signal_constant_collisions,
    enum_member_collisions,
    metric_briefs,
    metric_namespace_collisions,
)
SEMCONV: Final = (semconv_names,)
