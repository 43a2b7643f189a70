"""Lookup tables over a set of attributes: what makes ``check`` and ``resolve`` dict lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from ._model import Attribute, Metric
from ._rules_config import RulesConfig
from ._spelling import derive_log_key, namespaces, normalize


@dataclass(frozen=True, slots=True)
class Index:
    """Everything derived from the attributes and the organisation prefix."""

    attributes: Mapping[str, Attribute]
    metrics: Mapping[str, Metric]
    #: every proper prefix of every attribute name
    namespaces: frozenset[str]
    #: prefixes of non-deprecated attributes (what Weaver treats as a namespace collision)
    active_namespaces: frozenset[str]
    #: top-level namespaces owned by someone else (every one but the organisation's)
    foreign: frozenset[str]
    #: template attribute names, longest first, for prefix matching
    templates: tuple[str, ...]
    #: exact log key -> canonical name
    log_keys: Mapping[str, str]
    #: exact declared alias -> canonical name
    aliases: Mapping[str, str]
    #: normalised spelling (of names, log keys and aliases) -> canonical name
    normalized: Mapping[str, str]

    def template_for(self, name: str) -> Attribute | None:
        for template in self.templates:
            if name.startswith(template) and name[len(template) : len(template) + 1] == ".":
                return self.attributes[template]
        return None

    def final_name(self, name: str) -> str | None:
        """Follow ``renamed_to`` to the live name, or ``None`` (see :func:`follow_renames`)."""
        return follow_renames(name, self.attributes)

    def final_metric(self, name: str) -> str | None:
        return follow_renames(name, self.metrics)


class _Renamable(Protocol):
    @property
    def deprecated(self) -> str | None: ...

    @property
    def renamed_to(self) -> str | None: ...

    @property
    def retired(self) -> bool: ...


def follow_renames(name: str, entries: Mapping[str, _Renamable]) -> str | None:
    """Where the ``renamed_to`` chain from ``name`` ends: the first name that is not renamed.

    A name that is not renamed is its own end. ``None`` when no usable replacement is stated: the
    chain loops (``a -> b -> a``), or it leads to a name that is itself deprecated with no
    replacement. Suggesting such a name would only trade one deprecated name for another (and,
    for a loop, make ``--fix`` flip back and forth).
    """
    seen = {name}
    entry = entries.get(name)
    renamed = False
    while entry is not None and entry.renamed_to:
        name = entry.renamed_to
        if name in seen:
            return None
        seen.add(name)
        entry = entries.get(name)
        renamed = True
    if renamed and entry is not None and entry.retired:
        return None
    return name


def with_log_keys(attributes: Mapping[str, Attribute], prefix: str | None) -> dict[str, Attribute]:
    """Fill in derived log keys (declared ones are kept)."""
    result: dict[str, Attribute] = {}
    for name, attribute in attributes.items():
        if not attribute.log_key_declared:
            derived = derive_log_key(name, prefix)
            if derived != attribute.log_key:
                attribute = replace(attribute, log_key=derived)
        result[name] = attribute
    return result


def build_index(
    attributes: Mapping[str, Attribute], metrics: Mapping[str, Metric], config: RulesConfig
) -> Index:
    all_namespaces: set[str] = set()
    active: set[str] = set()
    for name, attribute in attributes.items():
        prefixes = namespaces(name)
        all_namespaces.update(prefixes)
        if not attribute.retired:
            active.update(prefixes)
    own = config.prefix.split(".")[0] if config.prefix else None
    foreign = {name.split(".")[0] for name in attributes if "." in name} - {own}

    # Later entries win: deprecated names first, so a live attribute owns a shared spelling;
    # derived log keys before declared ones; explicit aliases last.
    ordered = sorted(attributes.values(), key=lambda a: (not a.retired, a.log_key_declared))
    log_keys: dict[str, str] = {}
    normalized: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for attribute in ordered:
        normalized[normalize(attribute.name)] = attribute.name
    for attribute in ordered:
        if attribute.log_key:
            log_keys[attribute.log_key] = attribute.name
            normalized[normalize(attribute.log_key)] = attribute.name
    for attribute in ordered:
        for alias in attribute.aliases:
            aliases[alias] = attribute.name
            normalized[normalize(alias)] = attribute.name
    templates = tuple(
        sorted((n for n, a in attributes.items() if a.is_template), key=len, reverse=True)
    )
    return Index(
        attributes=attributes,
        metrics=metrics,
        namespaces=frozenset(all_namespaces),
        active_namespaces=frozenset(active),
        foreign=frozenset(foreign),
        templates=templates,
        log_keys=log_keys,
        aliases=aliases,
        normalized=normalized,
    )
