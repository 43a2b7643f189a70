"""A lint run: files in, located findings and a summary out.

Reads each file once, skips the AST walk for files that cannot emit a name (none of the trigger
substrings appear), and applies the suppressions in a fixed order: rule selection and levels,
per-path ignores, inline comments, then the baseline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from obskit.conventions import Finding, Level, Registry
from obskit.lint._baseline import fingerprints
from obskit.lint._checks import PARSE_ERROR, UNREADABLE, Checker
from obskit.lint._extract import NameUse, extract_names
from obskit.lint._files import GitIgnore, Problem, iter_python_files, load_source, read_source
from obskit.lint._fix import FilePlan, Fixer
from obskit.lint._ignores import ALL, inline_ignores, suppressed
from obskit.lint._lint_config import LintConfig
from obskit.lint._results import LocatedFinding, Summary

__all__ = ["LintResult", "lint_paths", "plan_fixes"]


@dataclass(slots=True)
class LintResult:
    """Findings to report (sorted), every finding before the baseline, and the counts."""

    findings: list[LocatedFinding] = field(default_factory=list)
    unbaselined: list[LocatedFinding] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    files: list[Path] = field(default_factory=list)

    def failed(self, fail_on: Level) -> bool:
        return any(f.level >= fail_on for f in self.findings)


def _problem(code: str, path: str, message: str, line: int = 1, col: int = 1) -> LocatedFinding:
    return LocatedFinding(Finding(code, Level.VIOLATION, path, message), path, line, col)


def _uses(path: Path, text: str) -> Iterable[NameUse]:
    return extract_names(text, str(path))


def lint_paths(
    paths: Sequence[Path | str],
    config: LintConfig | None = None,
    *,
    registry: Registry | None = None,
    report_dynamic: bool = False,
    baseline: frozenset[str] = frozenset(),
    baseline_root: Path | None = None,
) -> LintResult:
    """Lint every Python file under ``paths`` with one registry and rule set.

    ``baseline_root`` is the directory of the baseline file ``baseline`` came from (its
    fingerprints name paths relative to it).
    """
    config = config or LintConfig()
    registry = registry or config.registry()
    checker = Checker(registry, report_dynamic=report_dynamic)
    rules = config.rules
    result = LintResult()
    summary = result.summary
    found: list[LocatedFinding] = []
    roots = [Path(p) for p in paths]
    gitignore = GitIgnore.load(config.root)
    for item in iter_python_files(roots, gitignore):
        if isinstance(item, Problem):
            found.append(_problem(UNREADABLE, item.path, item.message))
            continue
        summary.files += 1
        result.files.append(item)
        path = str(item)
        try:
            text = read_source(item)
            uses = list(_uses(item, text))
        except SyntaxError as error:
            line, col = error.lineno or 1, error.offset or 1
            found.append(_problem(PARSE_ERROR, path, f"syntax error: {error.msg}", line, col))
            continue
        except ValueError as error:
            code = PARSE_ERROR if "source code" in str(error) else UNREADABLE
            found.append(_problem(code, path, f"cannot read: {error}"))
            continue
        if not uses:
            continue
        path_ignores = config.path_ignores(path)
        ignores = inline_ignores(text)
        for use in uses:
            if use.dynamic:
                summary.dynamic += 1
            else:
                summary.names += 1
            for finding in checker.check(use):
                if not rules.enabled(finding.code):
                    continue
                if ALL in path_ignores or finding.code in path_ignores:
                    summary.suppressed += 1
                    continue
                if suppressed(ignores, use.line, finding.code):
                    summary.suppressed += 1
                    continue
                found.append(LocatedFinding(finding, path, use.line, use.col, use.end_col))
    found = [_with_level(located, config) for located in found]
    found.sort(key=lambda f: (f.path, f.line, f.col, f.code, f.finding.name))
    result.unbaselined = found
    if baseline:
        keep = [fp not in baseline for fp in fingerprints(found, baseline_root)]
        result.findings = [f for f, k in zip(found, keep, strict=True) if k]
        summary.baselined = len(found) - len(result.findings)
    else:
        result.findings = found
    for located in result.findings:
        summary.by_level[located.level] += 1
    return result


def _with_level(item: LocatedFinding, config: LintConfig) -> LocatedFinding:
    level = config.rules.level(item.code, item.level)
    if level == item.level:
        return item
    return dataclasses.replace(item, finding=dataclasses.replace(item.finding, level=level))


def plan_fixes(
    paths: Sequence[Path | str], config: LintConfig, registry: Registry
) -> list[FilePlan]:
    """``--fix`` plans for every readable file under ``paths`` that has something to say."""
    checker = Checker(registry)
    fixer = Fixer(registry)
    plans = []
    for item in iter_python_files([Path(p) for p in paths], GitIgnore.load(config.root)):
        if isinstance(item, Problem):
            continue
        try:
            source = load_source(item, cookie=False)
            text = source.text
            uses = list(_uses(item, text))
        except (SyntaxError, ValueError):
            continue  # reported by the lint pass
        if not uses:
            continue
        codes = {id(use): {f.code for f in checker.check(use)} for use in uses}
        plan = fixer.plan(item, text, uses, codes)
        plan.bom = source.bom
        if plan.changes or plan.unfixable:
            plans.append(plan)
    return plans
