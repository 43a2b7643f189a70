"""Semantic conventions: the registry of names, the rules that judge them, and their log keys.

One immutable :class:`Registry`, loaded from Weaver-compatible YAML and the installed
``opentelemetry-semantic-conventions``, serves the runtime validator, ``obskit lint`` and
``obskit check``. This package imports nothing else from obskit.
"""

from __future__ import annotations

from ._findings import Finding, Level
from ._model import MISSING, Attribute, LoadError, Metric
from ._registry import Registry
from ._rules import RULES
from ._rules_config import ConfigError, RulesConfig
from ._sources import BUILTIN_CONVENTIONS, default_registry, load_registry, project_registry

__all__ = [
    "BUILTIN_CONVENTIONS",
    "MISSING",
    "RULES",
    "Attribute",
    "ConfigError",
    "Finding",
    "Level",
    "LoadError",
    "Metric",
    "Registry",
    "RulesConfig",
    "default_registry",
    "load_registry",
    "project_registry",
]
