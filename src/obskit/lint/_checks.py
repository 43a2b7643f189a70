"""Judging one extracted name: the registry's rules, applied per kind of name.

Attribute names and log fields go through ``Registry.check`` exactly as at runtime (a log key of
a registered attribute is registered); metric names through ``check_metric``; span event names
only through the spelling rules, since the registry holds no events.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from obskit.conventions import MISSING, Finding, Level, Registry
from obskit.lint._extract import NO_VALUE, NameUse

__all__ = ["DYNAMIC_NAME", "EVENT_CODES", "Checker"]

DYNAMIC_NAME: Final = "dynamic_name"
PARSE_ERROR: Final = "parse_error"
UNREADABLE: Final = "unreadable"
#: the rules that apply to a span event's name (it is not an attribute)
EVENT_CODES: Final = frozenset({"invalid_format", "name_too_long", "reserved_namespace"})


class Checker:
    """Turns :class:`NameUse` records into findings with one registry and rule set."""

    def __init__(self, registry: Registry, *, report_dynamic: bool = False) -> None:
        self.registry = registry
        self.report_dynamic = report_dynamic

    def check(self, use: NameUse) -> list[Finding]:
        registry = self.registry
        if use.dynamic:
            if not self.report_dynamic:
                return []
            message = f"{use.kind.replace('_', ' ')} name computed at run time: {use.name}"
            return [Finding(DYNAMIC_NAME, Level.INFORMATION, use.name, message)]
        if use.kind == "metric":
            return registry.check_metric(use.name)
        if use.kind == "event":
            return [f for f in registry.check(use.name) if f.code in EVENT_CODES]
        value = MISSING if use.value is NO_VALUE else use.value
        found = registry.check(use.name, value)
        if use.kind == "log_field":
            found = [self._as_log_field(f) for f in found]
        return found

    def _as_log_field(self, finding: Finding) -> Finding:
        """Suggest the log key, not the dotted name, for a keyword argument."""
        suggestion = finding.suggestion
        if suggestion is None or self.registry.get(suggestion) is None:
            return finding
        key = self.registry.log_key(suggestion)
        if key == suggestion:
            return finding
        message = finding.message
        if f"'{key}'" not in message:
            message = f"{message} (log key '{key}')"
        return dataclasses.replace(finding, message=message, suggestion=key)
