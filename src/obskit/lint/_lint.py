"""A lint run: files in, located findings and a summary out.

Reads each file once, parses only the files that can emit a name (a trigger substring appears;
the parse is most of a run's cost), scans large trees on every core, and applies the
suppressions in a fixed order: rule selection and levels, per-path ignores, inline comments,
then the baseline.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from obskit.conventions import Finding, Level, Registry
from obskit.lint._baseline import fingerprints
from obskit.lint._checks import PARSE_ERROR, UNREADABLE, Checker
from obskit.lint._extract import NameUse, extract_names, may_emit
from obskit.lint._files import GitIgnore, Problem, iter_python_files, load_source, read_source
from obskit.lint._fix import FilePlan, Fixer
from obskit.lint._ignores import ALL, inline_ignores, suppressed
from obskit.lint._lint_config import LintConfig
from obskit.lint._results import LocatedFinding, Summary

__all__ = ["LintResult", "lint_paths", "plan_fixes"]

#: a worker process must have this many files to scan before it is worth forking
_FILES_PER_WORKER: Final = 50


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


@dataclass(frozen=True, slots=True)
class _Scanned:
    """One file's share of a run, computed in a worker process on a large tree."""

    uses: list[NameUse]
    ignores: dict[int, frozenset[str]]
    problem: LocatedFinding | None = None


def _scan(path: Path, *, parse_all: bool = False) -> _Scanned:
    """Read, prefilter and extract one file. Most files cannot emit a name (no trigger
    substring) and are never parsed: the parse is what a lint run costs."""
    name = str(path)
    try:
        text = read_source(path)
        if not (parse_all or may_emit(text)):
            return _Scanned([], {})
        uses = list(extract_names(text, name))
    except SyntaxError as error:
        line, col = error.lineno or 1, error.offset or 1
        problem = _problem(PARSE_ERROR, name, f"syntax error: {error.msg}", line, col)
        return _Scanned([], {}, problem)
    except ValueError as error:
        code = PARSE_ERROR if "source code" in str(error) else UNREADABLE
        return _Scanned([], {}, _problem(code, name, f"cannot read: {error}"))
    return _Scanned(uses, inline_ignores(text) if uses else {})


def _workers(jobs: int, files: int) -> int:
    """How many processes to scan ``files`` on: ``jobs`` (0 = one per usable core), fewer when
    the tree is too small to repay a worker, and 1 where forking is unavailable or unsafe."""
    if jobs == 0:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(jobs, files // _FILES_PER_WORKER)
    # fork copies the loaded registry and code for free; with other threads running it could
    # copy a held lock, so a threaded host scans in-process
    if workers < 2 or threading.active_count() > 1 or sys.platform in ("win32", "darwin"):
        return 1
    return workers


def _scan_all(files: list[Path], *, parse_all: bool, jobs: int) -> list[_Scanned]:
    """Every file's scan, in order. On a large tree, forked children take every n-th file and
    this process scans its own share meanwhile: one fork and one pickled answer per child."""
    scan = functools.partial(_scan, parse_all=parse_all)
    workers = _workers(jobs, len(files))
    if workers == 1:
        return [scan(path) for path in files]
    children = [_Child(scan, files[i::workers]) for i in range(1, workers)]
    shares = [[scan(path) for path in files[::workers]], *(c.result() for c in children)]
    return [shares[i % workers][i // workers] for i in range(len(files))]


class _Child:
    """A forked process scanning a share of the files; falls back to scanning them here if it
    fails, so a run never loses a file."""

    def __init__(self, scan: Callable[[Path], _Scanned], files: list[Path]) -> None:
        self._scan, self._files = scan, files
        read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # pragma: no cover - runs in the child, which never returns
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    pickle.dump([scan(path) for path in files], out, pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write)
        self._read = read

    def result(self) -> list[_Scanned]:
        with os.fdopen(self._read, "rb") as answer:
            try:
                scanned: list[_Scanned] = pickle.load(answer)
            except (EOFError, pickle.UnpicklingError):
                scanned = []
        os.waitpid(self._pid, 0)
        if len(scanned) != len(self._files):
            scanned = [self._scan(path) for path in self._files]
        return scanned


def lint_paths(
    paths: Sequence[Path | str],
    config: LintConfig | None = None,
    *,
    registry: Registry | None = None,
    report_dynamic: bool = False,
    baseline: frozenset[str] = frozenset(),
    baseline_root: Path | None = None,
    jobs: int = 1,
    parse_all: bool = False,
) -> LintResult:
    """Lint every Python file under ``paths`` with one registry and rule set.

    ``baseline_root`` is the directory of the baseline file ``baseline`` came from (its
    fingerprints name paths relative to it). ``jobs`` worker processes scan a large tree (0: one
    per core). Files without a trigger substring are not parsed unless ``parse_all`` (which
    also reports their syntax errors).
    """
    config = config or LintConfig()
    registry = registry or config.registry()
    checker = Checker(registry, report_dynamic=report_dynamic)
    rules = config.rules
    result = LintResult()
    summary = result.summary
    found: list[LocatedFinding] = []
    for item in iter_python_files([Path(p) for p in paths], GitIgnore.load(config.root)):
        if isinstance(item, Problem):
            found.append(_problem(UNREADABLE, item.path, item.message))
        else:
            result.files.append(item)
    summary.files = len(result.files)
    for item, scanned in zip(
        result.files, _scan_all(result.files, parse_all=parse_all, jobs=jobs), strict=True
    ):
        if scanned.problem is not None:
            found.append(scanned.problem)
        if not scanned.uses:
            continue
        path = str(item)
        path_ignores = config.path_ignores(path)
        for use in scanned.uses:
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
                if suppressed(scanned.ignores, use.line, finding.code):
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
            uses = list(extract_names(text, str(item))) if may_emit(text) else []
        except (SyntaxError, ValueError):
            continue  # reported by the lint pass
        if not uses:
            continue
        # what the lint pass would suppress is never rewritten: a line marked
        # ``# obskit: ignore``, a per-path ignore, a code not selected
        ignores = inline_ignores(text)
        path_ignores = config.path_ignores(str(item))
        codes = {
            id(use): {
                f.code
                for f in checker.check(use)
                if config.rules.enabled(f.code)
                and not (ALL in path_ignores or f.code in path_ignores)
                and not suppressed(ignores, use.line, f.code)
            }
            for use in uses
        }
        plan = fixer.plan(item, text, uses, codes)
        plan.bom = source.bom
        if plan.changes or plan.unfixable:
            plans.append(plan)
    return plans
