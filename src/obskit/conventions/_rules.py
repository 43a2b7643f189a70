"""The naming rules: one name (and optionally its value) in, :class:`Finding` objects out.

Codes follow Weaver's live-check advice ids where one exists (``invalid_format``,
``missing_namespace``, ``illegal_namespace``, ``deprecated``, ``not_stable``,
``missing_attribute``, ``type_mismatch``, ``undefined_enum_variant``, ``missing_metric``);
the rest are obskit's own. Every level can be changed in ``[tool.obskit.levels]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ._findings import Finding, Level
from ._index import Index
from ._model import MISSING, STABLE, Attribute
from ._rules_config import RulesConfig
from ._spelling import is_valid_name, namespaces, normalize

#: code -> (default level, what it means); the table in docs/conventions.md mirrors it.
RULES: Final[dict[str, tuple[Level, str]]] = {
    "invalid_format": (Level.VIOLATION, "not lowercase [a-z][a-z0-9]* parts joined by '.'/'_'"),
    "missing_namespace": (Level.IMPROVEMENT, "no namespace (no '.')"),
    "illegal_namespace": (Level.VIOLATION, "an attribute and a namespace at once"),
    "reserved_namespace": (Level.VIOLATION, "unregistered name under the reserved otel.*"),
    "foreign_namespace": (Level.VIOLATION, "custom name inside a semantic-convention namespace"),
    "name_too_long": (Level.VIOLATION, "longer than max-name-length"),
    "near_duplicate": (Level.VIOLATION, "another spelling of a registered name"),
    "deprecated": (Level.VIOLATION, "deprecated; the suggestion is the final rename"),
    "not_stable": (Level.INFORMATION, "registered but not stable yet"),
    "missing_attribute": (Level.IMPROVEMENT, "not in the registry"),
    "missing_metric": (Level.IMPROVEMENT, "metric not in the registry"),
    "type_mismatch": (Level.VIOLATION, "value type differs from the registered type"),
    "undefined_enum_variant": (Level.INFORMATION, "value is not a member of the enum"),
    "sensitive": (Level.INFORMATION, "marked sensitive: redact or drop before export"),
}

_VALUE_CODES: Final = frozenset({"type_mismatch", "undefined_enum_variant"})

#: why a ``renamed_to`` gives no suggestion (``Index.final_name`` returned ``None``)
_DEAD_END: Final = " (its renamed_to chain loops or ends on a deprecated name)"

_PYTHON_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "int": (int,),
    "double": (float, int),
    "boolean": (bool,),
}


def _matches(type_name: str, value: object) -> bool:
    if type_name.endswith("[]"):
        if not isinstance(value, (list, tuple)):
            return False
        return all(_matches(type_name[:-2], item) for item in value)
    expected = _PYTHON_TYPES.get(type_name)
    if expected is None:
        return True
    if isinstance(value, bool) and type_name != "boolean":
        return False
    return isinstance(value, expected)


class Rules:
    """Applies every enabled rule with the configured levels."""

    def __init__(self, index: Index, config: RulesConfig) -> None:
        self.index = index
        self.config = config

    def finding(
        self, code: str, name: str, message: str, suggestion: str | None = None
    ) -> Finding | None:
        if not self.config.enabled(code):
            return None
        level = self.config.level(code, RULES[code][0])
        return Finding(code, level, name, message, suggestion)

    def check(self, name: str, value: object = MISSING) -> tuple[Finding, ...]:
        found = [f for f in self._check(name, value) if f is not None]
        if any(f.code in _VALUE_CODES for f in found):
            # the value's finding is the more specific one about this use
            found = [f for f in found if f.code != "not_stable"]
        return tuple(found)

    def canonical_for(self, name: str) -> Attribute | None:
        """The attribute ``name`` is a registered or log-key spelling of, if any."""
        index = self.index
        attribute = index.attributes.get(name)
        if attribute is None and name in index.log_keys:
            attribute = index.attributes[index.log_keys[name]]
        return attribute

    def _check(self, name: str, value: object) -> Iterator[Finding | None]:
        index = self.index
        if len(name) > self.config.max_length:
            yield self.finding(
                "name_too_long",
                name,
                f"'{name[:40]}...' is {len(name)} characters long; the limit is "
                f"{self.config.max_length}",
            )
        attribute = self.canonical_for(name)
        if attribute is not None:
            yield from self._registered(name, attribute)
            yield from self._value(name, attribute, value)
            return
        template = index.template_for(name)
        if template is not None:
            yield from self._registered(name, template)
            yield from self._value(name, template, value)
            return
        similar = self._near_duplicate(name)
        if similar is not None:
            yield self.finding(
                "near_duplicate",
                name,
                f"'{name}' is another spelling of the registered '{similar.name}' "
                f"(log key '{similar.log_key}')",
                index.final_name(similar.name),
            )
            yield from self._value(name, similar, value)
            return
        yield from self._unknown(name)

    def attribute_for(self, name: str) -> Attribute | None:
        """The attribute whose type judges ``name``'s value (registered, template or similar)."""
        return (
            self.canonical_for(name) or self.index.template_for(name) or self._near_duplicate(name)
        )

    def _near_duplicate(self, name: str) -> Attribute | None:
        canonical = self.index.aliases.get(name) or self.index.normalized.get(normalize(name))
        return self.index.attributes.get(canonical) if canonical else None

    def _registered(self, name: str, attribute: Attribute) -> Iterator[Finding | None]:
        """The most specific of deprecated, illegal namespace and not stable; and sensitivity."""
        index = self.index
        if attribute.retired:
            final = index.final_name(attribute.name) if attribute.renamed_to else None
            if final:
                message = f"'{name}' is deprecated ({attribute.deprecated}): use '{final}'"
            else:
                message = (
                    f"'{name}' is deprecated ({attribute.deprecated}) with no replacement"
                    f"{_DEAD_END if attribute.renamed_to else ''}"
                )
            yield self.finding("deprecated", name, message, final)
        elif attribute.name in index.active_namespaces:
            yield self.finding(
                "illegal_namespace",
                name,
                f"'{attribute.name}' is an attribute and also the namespace of other attributes",
            )
        elif attribute.stability is not None and attribute.stability != STABLE:
            yield self.finding(
                "not_stable", name, f"'{attribute.name}' is {attribute.stability}, not stable"
            )
        if attribute.sensitive:
            yield self.finding(
                "sensitive", name, f"'{attribute.name}' is sensitive: redact it before export"
            )

    def _value(self, name: str, attribute: Attribute, value: object) -> Iterator[Finding | None]:
        if value is MISSING or value is None or attribute.type in (None, "any"):
            return
        type_name = attribute.type or ""
        if attribute.is_template:
            type_name = type_name[len("template[") : -1]
        if attribute.is_enum:
            if not attribute.members:
                return
            member_types = {type(m) for m in attribute.members}
            if float in member_types:
                member_types.add(int)
            if isinstance(value, tuple(member_types)) and not (
                isinstance(value, bool) and bool not in member_types
            ):
                if value not in attribute.members:
                    shown = ", ".join(repr(m) for m in attribute.members[:12])
                    yield self.finding(
                        "undefined_enum_variant",
                        name,
                        f"{value!r} is not a member of '{attribute.name}' ({shown})",
                    )
                return
            expected = "/".join(sorted(t.__name__ for t in member_types))
            yield self.finding(
                "type_mismatch",
                name,
                f"'{attribute.name}' is an enum of {expected} values, got {type(value).__name__}",
            )
            return
        if not _matches(type_name, value):
            yield self.finding(
                "type_mismatch",
                name,
                f"'{attribute.name}' is registered as {type_name}, got {type(value).__name__}",
            )

    def _unknown(self, name: str) -> Iterator[Finding | None]:
        """One finding, the most specific that applies (each implies "not in the registry")."""
        for finding in self._unknown_reasons(name):
            if finding is not None:
                yield finding
                return

    def _unknown_reasons(self, name: str) -> Iterator[Finding | None]:
        """Why an unregistered name is wrong, most specific first."""
        index = self.index
        top = name.split(".", 1)[0]
        if top == "otel":
            yield self.finding(
                "reserved_namespace",
                name,
                f"'{name}' uses the otel.* namespace, which is reserved for OpenTelemetry",
            )
        if name in index.active_namespaces:
            yield self.finding(
                "illegal_namespace", name, f"'{name}' is a namespace of registered attributes"
            )
        for namespace in namespaces(name):
            owner = index.attributes.get(namespace)
            if owner is not None and not owner.retired:
                yield self.finding(
                    "illegal_namespace",
                    name,
                    f"'{name}' uses the registered attribute '{namespace}' as a namespace",
                )
                break
        if "." in name and top != "otel" and top in index.foreign:
            own = f"'{self.config.prefix}.'" if self.config.prefix else "your organisation's prefix"
            yield self.finding(
                "foreign_namespace",
                name,
                f"'{name}' is a custom name inside the '{top}' semantic-convention namespace; "
                f"put custom names under {own}",
            )
        if not is_valid_name(name):
            yield self.finding(
                "invalid_format",
                name,
                f"'{name}' must be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_'",
            )
        if "." not in name:
            yield self.finding("missing_namespace", name, f"'{name}' has no namespace")
        yield self.finding("missing_attribute", name, f"'{name}' is not in the registry")

    def check_metric(self, name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self._check_metric(name) if f is not None)

    def _check_metric(self, name: str) -> Iterator[Finding | None]:
        index = self.index
        if len(name) > self.config.max_length:
            yield self.finding(
                "name_too_long", name, f"{len(name)} characters; limit {self.config.max_length}"
            )
        metric = index.metrics.get(name)
        if metric is None:
            # one finding, the most specific: a malformed name is also an unregistered one
            invalid = None
            if not is_valid_name(name):
                invalid = self.finding(
                    "invalid_format",
                    name,
                    f"'{name}' must be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_'",
                )
            yield invalid or self.finding(
                "missing_metric", name, f"metric '{name}' is not in the registry"
            )
            return
        if metric.retired:
            final = index.final_metric(name) if metric.renamed_to else None
            if final:
                tail = f": use '{final}'"
            else:
                tail = f" with no replacement{_DEAD_END if metric.renamed_to else ''}"
            yield self.finding(
                "deprecated",
                name,
                f"metric '{name}' is deprecated ({metric.deprecated}){tail}",
                final,
            )
        elif metric.stability is not None and metric.stability != STABLE:
            yield self.finding("not_stable", name, f"metric '{name}' is {metric.stability}")
