"""``obskit drift PATH ...``: one path per service; report names that drifted apart."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from obskit.lint._drift import (
    SINGLE,
    SYNONYM,
    TYPES,
    DriftItem,
    find_drift,
    inventory,
    service_names,
    service_source,
)
from obskit.lint._lint_config import ConfigError, add_common_arguments, config_from_args
from obskit.lint._report import render
from obskit.lint._results import LocatedFinding

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="one per service: a directory, a .py file or a dotted module name",
    )
    add_common_arguments(parser)


def _text(items: list[DriftItem]) -> str:
    lines = []
    for item in items:
        lines.append(f"{item.finding.code}: {item.finding.message}")
        if item.finding.code == SINGLE:
            continue
        table = item.spellings if item.finding.code == SYNONYM else item.types
        for label, by_service in table.items():
            for service, places in sorted(by_service.items()):
                shown = ", ".join(places[:3]) + (f", +{len(places) - 3}" if len(places) > 3 else "")
                lines.append(f"    {label!s:<24} {service}: {shown}")
    return "".join(line + "\n" for line in lines)


def run(args: argparse.Namespace) -> int:
    sources = [service_source(spec) for spec in args.paths]
    for spec, source in zip(args.paths, sources, strict=True):
        if source is None:
            message = f"not a directory, a .py file or an importable module: {spec}"
            print(f"obskit drift: error: {message}", file=sys.stderr)
            return 2
    found = [s for s in sources if s is not None]
    try:
        config = config_from_args(args, [path for path, _ in found])
        registry = config.registry()
    except ConfigError as error:
        print(f"obskit drift: error: {error}", file=sys.stderr)
        return 2
    inventories = [inventory(path, name) for path, name in found]
    if all(path.is_dir() for path, _ in found):  # directories sharing a name are told apart
        for inv, name in zip(inventories, service_names(inventories), strict=True):
            inv.service = name
    for inv in inventories:
        for problem in inv.problems:
            print(f"obskit drift: {inv.service}: {problem}", file=sys.stderr)
    items = [i for i in find_drift(inventories, registry) if config.rules.enabled(i.finding.code)]
    counts = Counter(item.finding.code for item in items)
    summary = (
        f"obskit drift: {len(inventories)} services; "
        f"{sum(len(inv.uses) for inv in inventories)} names; {counts[SYNONYM]} synonyms, "
        f"{counts[TYPES]} type conflicts, {counts[SINGLE]} single-service names"
    )
    if args.format == "json":
        document = {
            "services": {
                inv.service: {"path": str(inv.root), "files": inv.files, "names": len(inv.uses)}
                for inv in inventories
            },
            "findings": [item.as_dict() for item in items],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        print(summary, file=sys.stderr)
    elif args.format == "text":
        sys.stdout.write(_text(items))
        print(summary)
    else:
        located = [LocatedFinding(item.finding, *item.first_place) for item in items]
        sys.stdout.write(render(located, args.format))
        print(summary, file=sys.stderr)
    return 1 if any(item.finding.level >= config.fail_on for item in items) else 0
