"""Building a registry from sources: the installed semconv package, YAML directories, files."""

from __future__ import annotations

import functools
from pathlib import Path

from ._loader import parse_sources, rename_cycle_errors
from ._model import Attribute, LoadError, Metric
from ._registry import Registry
from ._rules_config import RulesConfig
from ._semconv_package import semconv_package

#: obskit's own conventions as installed with the package (a copy of the top-level
#: ``conventions/`` directory, which is the source of truth; a test keeps them identical).
BUILTIN_CONVENTIONS: Path = Path(__file__).resolve().parent.parent / "_conventions"


def load_registry(
    *sources: str | Path, semconv: bool = True, config: RulesConfig | None = None
) -> Registry:
    """Merge sources into one registry; later sources override earlier ones by name.

    ``semconv=True`` starts from the installed ``opentelemetry-semantic-conventions`` (cached
    per process). Each source is a directory of YAML (read recursively) or one YAML file. Files
    that cannot be used are collected in ``registry.errors``; everything else still loads.
    """
    attributes: dict[str, Attribute] = {}
    metrics: dict[str, Metric] = {}
    errors: list[LoadError] = []
    if semconv:
        package = semconv_package()
        attributes.update((a.name, a) for a in package.attributes)
        metrics.update((m.name, m) for m in package.metrics)
    where: dict[str, tuple[Path, int]] = {}
    metric_where: dict[str, tuple[Path, int]] = {}
    for parsed in parse_sources([Path(source) for source in sources]):
        attributes.update((d.attribute.name, d.attribute) for d in parsed.attributes)
        metrics.update((m.name, m) for m in parsed.metrics)
        errors.extend(parsed.errors)
        where.update((d.attribute.name, (parsed.path, d.line)) for d in parsed.attributes)
        metric_lines = {s.name: s.line for s in parsed.signals if s.kind == "metric"}
        metric_where.update(
            (m.name, (parsed.path, metric_lines.get(m.name, 0))) for m in parsed.metrics
        )
    # a loop can only be seen once every source is merged (it may span files)
    for kind, table, places in (
        ("attribute", attributes, where),
        ("metric", metrics, metric_where),
    ):
        renames = {n: e.renamed_to for n, e in table.items() if e.renamed_to}
        errors.extend(rename_cycle_errors(kind, renames, places))
    return Registry(attributes, metrics, tuple(errors), config)


def project_registry(
    *sources: str | Path, semconv: bool = True, config: RulesConfig | None = None
) -> Registry:
    """obskit's own conventions, then a project's sources: the one loader behind
    ``configure(conventions=...)``, ``obskit lint`` and ``obskit check``.

    A ``pyproject.toml`` among the sources contributes its ``[tool.obskit]`` rules and registry
    paths, as ``obskit lint`` reads them.
    """
    paths: list[str | Path] = []
    for source in sources:
        if Path(source).name == "pyproject.toml":
            config = RulesConfig.from_pyproject(source)
            paths.extend(config.conventions)
        else:
            paths.append(source)
    return load_registry(BUILTIN_CONVENTIONS, *paths, semconv=semconv, config=config)


@functools.cache
def default_registry() -> Registry:
    """obskit's built-in conventions over the installed semantic conventions (built once)."""
    return load_registry(BUILTIN_CONVENTIONS)
