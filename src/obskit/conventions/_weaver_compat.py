"""Weaver's ``backwards-compatibility`` policy package (``compat.rego``), in Python.

Compares a registry with its baseline: nothing once published is removed, nothing stable
becomes unstable or changes type, unit, instrument or kind, and stable signals keep their
attributes. ``compatibility_metric_changed_attributes`` is left out: Weaver's rule compares
``attr.name``, which resolved attributes do not have, so it never fires there either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from ._loader import Member, Signal
from ._weaver_input import RegistryInput, Violation, Where

_LABELS: Final = {
    "metric": "Metric",
    "event": "Event",
    "span": "Span",
    "entity": "Entity",
    "attribute_group": "Attribute group",
}
_GONE: Final = {
    "metric": ("compatibility_metric_missing", "no longer exists in semantic conventions"),
    "event": ("compatibility_event_removed", "no longer exists in semantic conventions"),
    "span": ("compatibility_span_missing", "no longer exists in semantic conventions"),
    "entity": ("compatibility_entity_missing", "no longer exists in semantic conventions"),
    "attribute_group": (
        "compatibility_attribute_group_removed",
        "no longer exists in semantic conventions",
    ),
}
#: Weaver reports a metric that stops being stable under its "missing" id
_UNSTABLE: Final = {
    "metric": "compatibility_metric_missing",
    "event": "compatibility_event_changed_stability",
    "span": "compatibility_span_changed_stability",
    "attribute_group": "compatibility_attribute_group_changed_stability",
}


def _set(keys: Iterable[str]) -> str:
    """A Rego set as ``sprintf`` prints it: ``{"b", "c"}``."""
    return "{" + ", ".join(f'"{k}"' for k in sorted(set(keys))) + "}"


def _required(signal: Signal) -> set[str]:
    """Attributes not plainly ``opt_in`` (``compat.rego``'s ``is_opt_in``)."""
    return {u.key for u in signal.uses if u.opt_in != "opt_in"}


def _members(
    key: str, old: tuple[Member, ...], new: tuple[Member, ...], stable: bool, where: Where
) -> Iterator[Violation]:
    current = {m.id: m for m in new}
    code = "compatibility_stable_enum_member_changed_from_stable"
    for member in old:
        now = current.get(member.id)
        if now is None:
            if new:
                message = f"Enum '{key}' had member '{member.id}', but is no longer defined"
                yield "compatibility_stable_enum_member_missing", key, message, where
            continue
        if stable and member.stability == "stable" and now.stability != "stable":
            message = f"Enum '{key}' had stable member '{member.id}', but is no longer stable"
            yield code, key, message, where
        if stable and member.value != now.value:
            message = f"Enum '{key}' had stable value '{member.value}', but is now '{now.value}'"
            yield code, key, message, where


def attributes(base: RegistryInput, reg: RegistryInput) -> Iterator[Violation]:
    for key, (old, old_where) in base.attributes.items():
        if key not in reg.attributes:
            message = f"Attribute '{key}' no longer exists in the attribute registry"
            yield "compatibility_removed_attribute", key, message, old_where
            continue
        new, where = reg.attributes[key]
        was, now = old.attribute, new.attribute
        stable = was.stability == "stable"
        if stable and now.stability != "stable":
            message = f"Attribute '{key}' was stable, but has new stability marker"
            yield "compatibility_stable_attribute_now_unstable", key, message, where
        if stable and (was.type != now.type or (was.is_enum and not now.is_enum)):
            message = (
                f"Attribute '{key}' was enum, but has new type '{now.type}'"
                if was.is_enum
                else f"Attribute '{key}' was '{was.type}', but has new type '{now.type}'"
            )
            yield "compatibility_stable_attribute_changed_type", key, message, where
        if was.is_enum and now.is_enum:
            yield from _members(key, old.member_defs, new.member_defs, stable, where)


def _dropped(kind: str, name: str, old: Signal, new: Signal) -> Iterator[tuple[str, str]]:
    """``(id, message)`` for attributes a stable signal lost or gained."""
    label = _LABELS[kind]
    if kind in ("event", "span"):
        missing = {u.key for u in old.uses} - {u.key for u in new.uses}
        if missing:
            yield (
                f"compatibility_{kind}_dropped_attributes",
                f"{label} '{name}' cannot remove stable attributes (missing '{_set(missing)}')",
            )
    elif kind == "attribute_group":
        missing = {u.key for u in old.uses} - {u.key for u in new.uses}
        if missing:
            yield (
                "compatibility_attribute_group_dropped_attributes",
                f"{label} '{name}' cannot remove attributes (missing '{_set(missing)}')",
            )
        added = _required(new) - _required(old)
        if added:
            yield (
                "compatibility_attribute_group_added_attributes",
                f"{label} '{name}' cannot add required/recommended attributes "
                f"(added '{_set(added)}')",
            )
    elif kind == "metric":
        added = _required(new) - _required(old)
        if added:
            yield (
                "compatibility_metric_added_attributes",
                f"{label} '{name}' cannot change required/recommended attributes "
                f"(added '{_set(added)}')",
            )
    elif kind == "entity":
        for part in ("identity", "description"):
            missing = set(getattr(old, part)) - set(getattr(new, part))
            if missing:
                yield (
                    "compatibility_entity_missing_attribute",
                    f"{label} '{name}' cannot remove attributes from {part} "
                    f"(missing '{_set(missing)}')",
                )
        added = set(new.identity) - set(old.identity)
        if added:
            yield (
                "compatibility_entity_changed_identity",
                f"{label} '{name}' cannot change identity. (Found new attributes '{_set(added)}')",
            )


def _changed(kind: str, name: str, old: Signal, new: Signal) -> Iterator[tuple[str, str]]:
    """``(id, message)`` for a stable signal's stability, unit, instrument or kind changing."""
    label = _LABELS[kind]
    if kind in _UNSTABLE and new.stability != "stable":
        yield _UNSTABLE[kind], f"{label} '{name}' cannot change from stable"
    if kind == "metric":
        for field in ("unit", "instrument"):
            was, now = getattr(old, field), getattr(new, field)
            if was != now:
                yield (
                    f"compatibility_metric_changed_{field}",
                    f"Metric '{name}' cannot change {field} (was '{was}', now: '{now}')",
                )
    if kind == "span" and old.span_kind != new.span_kind:
        yield (
            "compatibility_span_changed_kind",
            f"Span '{name}' cannot change kind (was '{old.span_kind}', now '{new.span_kind}').",
        )


def signals(base: RegistryInput, reg: RegistryInput) -> Iterator[Violation]:
    for kind in _LABELS:
        current = reg.named(kind)
        for name, (old, old_where) in base.named(kind).items():
            if name not in current:
                code, text = _GONE[kind]
                yield code, name, f"{_LABELS[kind]} '{name}' {text}", old_where
                continue
            new, where = current[name]
            if old.stability != "stable":
                continue
            for code, message in (*_changed(kind, name, old, new), *_dropped(kind, name, old, new)):
                yield code, name, message, where


COMPATIBILITY: Final = (attributes, signals)
