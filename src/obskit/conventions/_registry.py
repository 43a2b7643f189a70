"""The registry: one immutable value, built from YAML, passed to the validator, lint and check."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ._findings import Finding
from ._index import Index, build_index, with_log_keys
from ._model import MISSING, Attribute, LoadError, Metric
from ._rules import Rules
from ._rules_config import RulesConfig
from ._spelling import derive_log_key as _derive
from ._spelling import normalize as _normalize

#: Stop growing the per-registry caches past this many entries, and never keep a name longer
#: than ``_CACHED_NAME_CHARS`` (an unbounded stream of distinct or huge names must not become a
#: memory leak: the caches stay under about 10,000 x 256 characters); such names are judged
#: each time instead.
_CACHE_LIMIT: Final = 10_000
_CACHED_NAME_CHARS: Final = 256
_ENUM_VALUES_LIMIT: Final = 256


class Registry:
    """Attributes and metrics by name, the rules that judge names, and what failed to load.

    Immutable: ``with_config`` returns a new registry. ``check`` caches per (name, value type),
    and per value for enum attributes, so the common path is one dict lookup (array values,
    judged item by item, are not cached).
    """

    __slots__ = ("_cache", "_config", "_errors", "_index", "_metric_cache", "_rules")

    def __init__(
        self,
        attributes: Mapping[str, Attribute],
        metrics: Mapping[str, Metric] | None = None,
        errors: tuple[LoadError, ...] = (),
        config: RulesConfig | None = None,
    ) -> None:
        config = config or RulesConfig()
        attrs = MappingProxyType(with_log_keys(attributes, config.prefix))
        self._config = config
        self._errors = tuple(errors)
        self._index: Index = build_index(attrs, MappingProxyType(dict(metrics or {})), config)
        self._rules = Rules(self._index, config)
        self._cache: dict[tuple[str, type], tuple[Finding, ...] | dict[object, tuple[Finding, ...]]]
        self._cache = {}
        self._metric_cache: dict[str, tuple[Finding, ...]] = {}

    # -- contents --------------------------------------------------------------------------

    @property
    def attributes(self) -> Mapping[str, Attribute]:
        return self._index.attributes

    @property
    def metrics(self) -> Mapping[str, Metric]:
        return self._index.metrics

    @property
    def namespaces(self) -> frozenset[str]:
        """Every proper dotted prefix of a registered name (``http``, ``http.request``)."""
        return self._index.namespaces

    @property
    def errors(self) -> tuple[LoadError, ...]:
        return self._errors

    @property
    def config(self) -> RulesConfig:
        return self._config

    def __len__(self) -> int:
        return len(self._index.attributes)

    def __contains__(self, name: object) -> bool:
        return name in self._index.attributes

    def __repr__(self) -> str:
        return (
            f"<Registry {len(self.attributes)} attributes, {len(self.metrics)} metrics, "
            f"{len(self.errors)} errors>"
        )

    def get(self, name: str) -> Attribute | None:
        return self._index.attributes.get(name)

    def with_config(self, config: RulesConfig) -> Registry:
        """The same definitions judged by other rules (log keys follow the new prefix)."""
        return Registry(self._index.attributes, self._index.metrics, self._errors, config)

    # -- names -----------------------------------------------------------------------------

    def resolve(self, name: str) -> str | None:
        """The canonical attribute for any spelling: name, log key, alias, old name, near miss."""
        index = self._index
        if name in index.attributes:
            return index.final_name(name)
        if index.template_for(name) is not None:
            return name
        canonical = (
            index.log_keys.get(name)
            or index.aliases.get(name)
            or index.normalized.get(_normalize(name))
        )
        return index.final_name(canonical) if canonical else None

    def metric_replacement(self, name: str) -> str | None:
        """The live metric a (possibly renamed) metric name ends at; ``None`` when its renames
        loop or end on a deprecated metric (no safe replacement)."""
        return self._index.final_metric(name)

    def log_key(self, name: str) -> str:
        """The keyword-argument spelling of a registered name (derived for unknown names)."""
        attribute = self._index.attributes.get(name)
        if attribute is not None:
            return attribute.log_key
        return _derive(name, self._config.prefix)

    def is_sensitive(self, name: str) -> bool:
        """Whether ``name`` (in any spelling ``resolve`` accepts) is marked sensitive."""
        attribute = self._index.attributes.get(name)
        if attribute is None:
            canonical = self.resolve(name)
            attribute = self._index.attributes.get(canonical) if canonical else None
        return attribute is not None and attribute.sensitive

    # -- rules -----------------------------------------------------------------------------

    def check(self, name: str, value: object = MISSING) -> list[Finding]:
        """Findings for one attribute or log-field name, and its value when given."""
        cached = self._cache.get((name, value.__class__))
        if cached is not None:
            if cached.__class__ is tuple:
                return list(cached)
            by_value = cached.get(value)  # type: ignore[union-attr]
            if by_value is not None:
                return list(by_value)
        return list(self._check_slow(name, value))

    def _check_slow(self, name: str, value: object) -> tuple[Finding, ...]:
        findings = self._rules.check(name, value)
        cache = self._cache
        key = (name, value.__class__)
        if len(name) > _CACHED_NAME_CHARS:
            return findings
        attribute = self._rules.attribute_for(name)
        if attribute is not None and attribute.is_enum and isinstance(value, (str, int)):
            per_value = cache.get(key)
            if not isinstance(per_value, dict):
                if len(cache) >= _CACHE_LIMIT:
                    return findings
                per_value = cache[key] = {}
            if len(per_value) < _ENUM_VALUES_LIMIT:
                per_value[value] = findings
        elif len(cache) < _CACHE_LIMIT and value.__class__ not in (list, tuple):
            cache[key] = findings  # (arrays are judged by their items, so never cached)
        return findings

    def check_metric(self, name: str) -> list[Finding]:
        """Findings for a metric instrument name."""
        cached = self._metric_cache.get(name)
        if cached is None:
            cached = self._rules.check_metric(name)
            if len(self._metric_cache) < _CACHE_LIMIT and len(name) <= _CACHED_NAME_CHARS:
                self._metric_cache[name] = cached
        return list(cached)
