"""``obskit conventions``: list, show and search the registry; check a registry's own YAML.

Exit codes: 0 clean, 1 findings at or above violation (``check``; ``show``/``search`` when
nothing matches), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ._findings import Level
from ._model import Attribute, Metric
from ._registry import Registry
from ._rules_config import ConfigError, RulesConfig
from ._sources import BUILTIN_CONVENTIONS, load_registry
from ._weaver_policy import COMPARISONS, DEFAULT_POLICIES, POLICIES, check_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sources = argparse.ArgumentParser(add_help=False)
    sources.add_argument(
        "--registry",
        action="append",
        default=[],
        metavar="PATH",
        help="registry directory or YAML file, merged after the built-in ones (repeatable)",
    )
    sources.add_argument(
        "--no-semconv",
        action="store_true",
        help="leave out the installed opentelemetry-semantic-conventions",
    )
    sources.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="pyproject.toml whose [tool.obskit] to use (default: ./pyproject.toml if present)",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", parents=[sources], help="list registered attributes")
    listing.add_argument("--namespace", metavar="NS", help="only names under NS")
    listing.add_argument("--deprecated", action="store_true", help="only deprecated names")
    show = sub.add_parser("show", parents=[sources], help="everything known about one name")
    show.add_argument("name", metavar="NAME")
    search = sub.add_parser("search", parents=[sources], help="find names by text")
    search.add_argument("text", metavar="TEXT")
    check = sub.add_parser("check", help="lint registry YAML with Weaver's policy packages")
    check.add_argument("directory", metavar="DIR", type=Path)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument(
        "--policy",
        action="append",
        choices=(*POLICIES, *COMPARISONS),
        metavar="SET",
        help=(
            "policy set (repeatable): naming_conventions (default), stability, "
            "backwards-compatibility (needs --baseline), semconv (opt-in)"
        ),
    )
    check.add_argument(
        "--baseline", metavar="DIR", type=Path, help="the previous release of the registry"
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        if args.action == "check":
            return _check(args, out)
        registry = _registry(args)
    except ConfigError as exc:
        print(f"obskit conventions: {exc}", file=sys.stderr)
        return 2
    for error in registry.errors:
        print(f"warning: {error}", file=sys.stderr)
    if args.action == "list":
        return _list(registry, args.namespace, args.deprecated, out)
    if args.action == "show":
        return _show(registry, args.name, out)
    return _search(registry, args.text, out)


def _registry(args: argparse.Namespace) -> Registry:
    config_path = Path(args.config) if args.config else Path("pyproject.toml")
    if args.config and not config_path.is_file():
        raise ConfigError(f"no such file: {config_path}")
    config = RulesConfig.from_pyproject(config_path) if config_path.is_file() else RulesConfig()
    sources = [BUILTIN_CONVENTIONS, *config.conventions, *(Path(p) for p in args.registry)]
    for source in args.registry:
        if not Path(source).exists():
            raise ConfigError(f"no such registry: {source}")
    return load_registry(*sources, semconv=not args.no_semconv, config=config)


def _summary(attribute: Attribute) -> str:
    type_ = attribute.type or "?"
    text = f"{attribute.name:<50} {type_:<18} {attribute.stability or '?':<12}"
    if attribute.deprecated:
        text += f" deprecated ({attribute.deprecated})"
        if attribute.renamed_to:
            text += f" -> {attribute.renamed_to}"
    return text.rstrip()


def _list(registry: Registry, namespace: str | None, deprecated: bool, out: TextIO) -> int:
    for name in sorted(registry.attributes):
        attribute = registry.attributes[name]
        if namespace and not (name == namespace or name.startswith(namespace.rstrip(".") + ".")):
            continue
        if deprecated and not attribute.deprecated:
            continue
        print(_summary(attribute), file=out)
    return 0


def _show(registry: Registry, name: str, out: TextIO) -> int:
    attribute = registry.get(name)
    metric = registry.metrics.get(name)
    if attribute is None and metric is None:
        canonical = registry.resolve(name)
        if canonical is None:
            print(f"{name}: not in the registry", file=out)
            for finding in registry.check(name):
                print(
                    f"  {finding.level.name.lower()}: {finding.code}: {finding.message}", file=out
                )
            return 1
        print(f"{name} is a spelling of {canonical}", file=out)
        attribute = registry.get(canonical)
        if attribute is None:  # a template instance
            print(f"{canonical}: instance of a template attribute", file=out)
            return 0
    if attribute is not None:
        _show_attribute(registry, attribute, out)
    if metric is not None:
        _show_metric(metric, out)
    return 0


def _show_attribute(registry: Registry, attribute: Attribute, out: TextIO) -> None:
    rows: list[tuple[str, object]] = [
        ("attribute", attribute.name),
        ("type", attribute.type or "unknown (not recorded by the source)"),
        ("stability", attribute.stability or "unknown"),
        ("brief", attribute.brief),
    ]
    if attribute.members:
        rows.append(("members", ", ".join(repr(m) for m in attribute.members)))
    if attribute.examples:
        rows.append(("examples", ", ".join(repr(e) for e in attribute.examples)))
    if attribute.deprecated:
        final = registry.resolve(attribute.name)
        replaced = f"; use {final}" if attribute.renamed_to and final else "; no replacement"
        rows.append(("deprecated", f"yes ({attribute.deprecated}){replaced}"))
    rows.append(("log key", attribute.log_key))
    if attribute.aliases:
        rows.append(("aliases", ", ".join(attribute.aliases)))
    if attribute.sensitive:
        rows.append(("sensitive", "yes"))
    if attribute.cardinality:
        rows.append(("cardinality", attribute.cardinality))
    rows.append(("source", attribute.source))
    for label, value in rows:
        print(f"{label + ':':<13}{value}", file=out)


def _show_metric(metric: Metric, out: TextIO) -> None:
    rows: list[tuple[str, object]] = [
        ("metric", metric.name),
        ("instrument", metric.instrument or "unknown"),
        ("unit", metric.unit or ""),
        ("stability", metric.stability or "unknown"),
        ("brief", metric.brief),
    ]
    if metric.deprecated:
        tail = f"; use {metric.renamed_to}" if metric.renamed_to else "; no replacement"
        rows.append(("deprecated", f"yes ({metric.deprecated}){tail}"))
    rows.append(("source", metric.source))
    for label, value in rows:
        print(f"{label + ':':<13}{value}", file=out)


def _search(registry: Registry, text: str, out: TextIO) -> int:
    needle = text.lower()
    found = 0
    for name in sorted(registry.attributes):
        attribute = registry.attributes[name]
        haystack = " ".join((name, attribute.brief, attribute.log_key, *attribute.aliases))
        if needle in haystack.lower():
            print(_summary(attribute), file=out)
            found += 1
    return 0 if found else 1


def _check(args: argparse.Namespace, out: TextIO) -> int:
    directory: Path = args.directory
    for path in (directory, args.baseline):
        if path is not None and not path.exists():
            raise ConfigError(f"no such registry: {path}")
    policies = args.policy or DEFAULT_POLICIES
    if args.baseline is not None and not args.policy:
        policies = (*DEFAULT_POLICIES, *COMPARISONS)
    try:
        findings = check_registry(directory, policies=policies, baseline=args.baseline)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if args.format == "json":
        rows = [
            {
                "id": f.finding.code,
                "level": f.finding.level.name.lower(),
                "name": f.finding.name,
                "message": f.finding.message,
                "path": str(f.path),
                "line": f.line,
            }
            for f in findings
        ]
        print(json.dumps(rows, indent=2), file=out)
    else:
        for located in findings:
            print(located, file=out)
        print(f"{len(findings)} finding(s) in {directory}", file=out)
    return 1 if any(f.finding.level >= Level.VIOLATION for f in findings) else 0
