"""Weaver's ``stability`` policy package (``stability.rego`` and ``deprecation.rego``), in Python.

A signal may not claim more stability than an attribute it uses unless that attribute is opt-in,
a stable entity needs identifying attributes, and every ``renamed_to`` must name a live
definition of a compatible type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ._loader import AttributeDef
from ._weaver_input import RegistryInput, Violation

_RANK: Final = {
    "development": 1,
    "experimental": 1,
    "alpha": 2,
    "beta": 3,
    "release_candidate": 4,
    "stable": 5,
}
_LABELS: Final = {"metric": "Metric", "event": "Event", "span": "Span", "entity": "Entity"}


# stability.rego
def stability(reg: RegistryInput) -> Iterator[Violation]:
    for signal, where in reg.of("entity"):
        if signal.stability == "stable" and not signal.identity:
            message = f"Stable entity '{signal.name}' has no identifying attributes"
            yield "stability_entity_no_identity", signal.name, message, where
    for signal, where in reg.signals:
        rank = _RANK.get(signal.stability or "")
        exception = f"{signal.kind}_lower_stability_attribute"
        if rank is None or exception in signal.stability_exceptions:
            continue
        for use in signal.uses:
            found = reg.attributes.get(use.key)
            attr_stability = found[0].attribute.stability if found else None
            attr_rank = _RANK.get(attr_stability or "")
            if use.opt_in or attr_rank is None or rank <= attr_rank:
                continue
            message = (
                f"{signal.kind} '{signal.name}' has stability '{signal.stability}' which is higher "
                f"than the stability '{attr_stability}' of attribute '{use.key}'; "
                "lower-stability attributes are only allowed at 'opt_in' requirement level"
            )
            yield f"stability_{exception}", signal.name, message, where


def _value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _first_member_kind(definition: AttributeDef) -> str | None:
    members = definition.member_defs
    return _value_kind(members[0].value) if members else None


def _type_mismatch(old_key: str, old: AttributeDef, new_key: str, new: AttributeDef) -> str | None:
    """The message of ``deprecation_attribute_renamed_to_type_mismatch``, if it applies."""
    old_type, new_type = old.attribute.type, new.attribute.type
    old_enum, new_enum = _first_member_kind(old), _first_member_kind(new)
    if old_enum is None and new_enum is None:
        if old_type != new_type:
            return (
                f"Attribute '{old_key}' was renamed to '{new_key}', but the new attribute type "
                f"'{new_type}' is not the same as the old attribute type '{old_type}'."
            )
    elif old_enum is None:
        wanted = {"string": "string", "int": "number"}.get(old_type or "")
        if wanted and new_enum != wanted:
            noun = "a string type" if wanted == "string" else "a number"
            return (
                f"{old_type.capitalize() if old_type else ''} attribute '{old_key}' was renamed to "
                f"enum attribute '{new_key}', but the new attribute member type is not {noun}"
            )
    elif new_enum is not None:
        if old_enum != new_enum:
            return (
                f"Enum attribute '{old_key}' was renamed to '{new_key}', but the value types are "
                "not the same."
            )
    else:
        expected = {"string": "string", "number": "int"}.get(old_enum)
        if expected and new_type != expected:
            return (
                f"Enum attribute '{old_key}' with {expected} values was renamed to '{new_key}', "
                f"but the new attribute type is '{new_type}'."
            )
    return None


# deprecation.rego
def deprecation(reg: RegistryInput) -> Iterator[Violation]:
    live = reg.live_names("attribute")
    for key, (definition, where) in reg.attributes.items():
        new_key = definition.attribute.renamed_to
        if definition.attribute.deprecated == "renamed" and new_key:
            if new_key not in live:
                message = (
                    f"Attribute '{key}' was renamed to '{new_key}', but the new attribute does "
                    "not exist or is deprecated."
                )
                yield "deprecation_attribute_renamed_to_invalid", key, message, where
            if new_key in reg.attributes:
                mismatch = _type_mismatch(key, definition, new_key, reg.attributes[new_key][0])
                if mismatch:
                    yield "deprecation_attribute_renamed_to_type_mismatch", key, mismatch, where
        live_members = {m.id for m in definition.member_defs if not m.deprecated}
        for member in definition.member_defs:
            if member.renamed_to and member.renamed_to not in live_members:
                message = (
                    f"Member '{member.id}' of the attribute '{key}' was renamed to "
                    f"'{member.renamed_to}', but the new member does not exist or is deprecated."
                )
                yield "deprecation_enum_member_renamed_to_invalid", key, message, where
    for kind, label in _LABELS.items():
        names = reg.live_names(kind)
        for signal, where in reg.of(kind):
            if signal.renamed_to and signal.renamed_to not in names:
                message = (
                    f"{label} '{signal.name}' was renamed to '{signal.renamed_to}', but the new "
                    f"{kind} does not exist or is deprecated."
                )
                yield f"deprecation_{kind}_renamed_to_invalid", signal.name, message, where


STABILITY: Final = (stability, deprecation)
