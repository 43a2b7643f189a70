"""``obskit check FILE ...``: judge captured telemetry (OTLP JSON, Weaver samples)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from obskit.lint._check import Selection, check_files
from obskit.lint._lint_config import ConfigError, add_common_arguments, config_from_args
from obskit.lint._report import as_dict, render
from obskit.lint._results import LocatedFinding

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="OTLP JSON files")
    for option, what in (
        ("scope", "instrumentation scope (e.g. 'obskit*')"),
        ("service", "service.name"),
    ):
        parser.add_argument(
            f"--{option}",
            action="append",
            default=[],
            metavar="GLOB",
            help=f"judge only telemetry of this {what} (repeatable)",
        )
        parser.add_argument(
            f"--exclude-{option}",
            action="append",
            default=[],
            metavar="GLOB",
            help=f"leave out telemetry of this {what} (repeatable)",
        )
    add_common_arguments(parser)


def _grouped(findings: list[LocatedFinding]) -> tuple[list[LocatedFinding], list[str]]:
    """Findings to list one by one, and one note for every ``not_stable`` name together."""
    names = sorted({f.finding.name for f in findings if f.code == "not_stable"})
    listed = [f for f in findings if f.code != "not_stable"]
    if not names:
        return listed, []
    return listed, [
        f"not stable: {len(names)} registered names are not stable yet (information; "
        f"--format json lists each use): {', '.join(names)}"
    ]


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args, [Path.cwd()])
        registry = config.registry()
    except ConfigError as error:
        print(f"obskit check: error: {error}", file=sys.stderr)
        return 2
    selection = Selection(
        tuple(args.scope),
        tuple(args.exclude_scope),
        tuple(args.service),
        tuple(args.exclude_service),
    )
    result = check_files(
        args.files, registry, own_sources=config.rules.conventions, selection=selection
    )
    if args.format == "json":
        document = {
            "findings": [as_dict(f) for f in result.findings],
            "coverage": result.coverage.as_dict(),
            "context": result.context.as_dict(),
            "summary": result.summary.line(),
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        notes = sys.stderr
    else:
        listed, grouped = (
            (result.findings, []) if args.format == "sarif" else _grouped(result.findings)
        )
        sys.stdout.write(render(listed, args.format))
        notes = sys.stderr if args.format == "sarif" else sys.stdout
        for line in [*grouped, *result.coverage.lines(), *result.context.lines()]:
            print(line, file=notes)
    print(result.summary.line(), file=notes if args.format != "json" else sys.stderr)
    return 1 if any(f.level >= config.fail_on for f in result.findings) else 0
