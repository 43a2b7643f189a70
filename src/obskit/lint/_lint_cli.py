"""``obskit lint [PATH ...]``: check the names a service emits, from its source."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from obskit.lint._baseline import read_baseline, write_baseline
from obskit.lint._files import write_source
from obskit.lint._fix import unified_diff
from obskit.lint._lint import lint_paths, plan_fixes
from obskit.lint._lint_config import ConfigError, add_common_arguments, config_from_args
from obskit.lint._report import render

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories")
    add_common_arguments(parser)
    parser.add_argument(
        "--report-dynamic", action="store_true", help="report names computed at run time"
    )
    parser.add_argument(
        "--jobs", type=int, default=0, metavar="N", help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--parse-all",
        action="store_true",
        help="parse files that cannot emit a name too (reports their syntax errors)",
    )
    parser.add_argument("--baseline", type=Path, metavar="FILE", help="fail only on new findings")
    parser.add_argument(
        "--write-baseline", action="store_true", help="write every current finding to --baseline"
    )
    fix = parser.add_mutually_exclusive_group()
    fix.add_argument("--fix", action="store_true", help="rewrite renamed and aliased names")
    fix.add_argument("--diff", action="store_true", help="print the --fix changes as a diff")


def _error(message: str) -> int:
    print(f"obskit lint: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths or [Path(".")]
    try:
        config = config_from_args(args, paths)
        registry = config.registry()
    except ConfigError as error:
        return _error(str(error))
    if args.write_baseline and args.baseline is None:
        return _error("--write-baseline needs --baseline FILE")
    for problem in registry.errors:
        print(f"obskit lint: registry: {problem}", file=sys.stderr)
    machine = args.format in ("json", "sarif")
    notes = sys.stderr if machine else sys.stdout

    if args.fix or args.diff:
        plans = plan_fixes(paths, config, registry)
        for plan in plans:
            if args.diff:
                sys.stdout.write(unified_diff(plan))
            elif plan.changes:
                write_source(plan.path, plan.fixed, bom=plan.bom)
            for change in plan.changes if args.fix else ():
                print(
                    f"{change.path}:{change.line}:{change.col}: fixed '{change.old}' -> "
                    f"'{change.new}'",
                    file=notes,
                )
            for skipped in plan.unfixable:
                print(
                    f"{skipped.path}:{skipped.line}:{skipped.col}: not fixed '{skipped.name}':"
                    f" {skipped.reason}",
                    file=sys.stderr if args.diff else notes,
                )
        if args.diff:
            return 1 if any(plan.changes for plan in plans) else 0

    baseline: frozenset[str] = frozenset()
    if args.baseline is not None and not args.write_baseline:
        try:
            baseline = read_baseline(args.baseline)
        except ValueError as error:
            return _error(str(error))
    result = lint_paths(
        paths,
        config,
        registry=registry,
        report_dynamic=args.report_dynamic,
        baseline=baseline,
        baseline_root=args.baseline.parent if args.baseline is not None else None,
        jobs=args.jobs,
        parse_all=args.parse_all,
    )
    if args.write_baseline:
        write_baseline(args.baseline, result.unbaselined)
        print(
            f"obskit lint: wrote {len(result.unbaselined)} findings to {args.baseline}", file=notes
        )
        return 0
    sys.stdout.write(render(result.findings, args.format))
    print(result.summary.line(), file=notes)
    return 1 if result.failed(config.fail_on) else 0
