"""``obskit check FILE ...``: judge captured telemetry (OTLP JSON, Weaver samples)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from obskit.lint._check import check_files
from obskit.lint._lint_config import ConfigError, add_common_arguments, config_from_args
from obskit.lint._report import as_dict, render

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="OTLP JSON files")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args, [Path.cwd()])
        registry = config.registry()
    except ConfigError as error:
        print(f"obskit check: error: {error}", file=sys.stderr)
        return 2
    result = check_files(args.files, registry, own_sources=config.rules.conventions)
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
        sys.stdout.write(render(result.findings, args.format))
        notes = sys.stderr if args.format == "sarif" else sys.stdout
        for line in [*result.coverage.lines(), *result.context.lines()]:
            print(line, file=notes)
    print(result.summary.line(), file=notes if args.format != "json" else sys.stderr)
    return 1 if any(f.level >= config.fail_on for f in result.findings) else 0
