"""``obskit lint`` against bare ``ast.parse`` over the same files, in one run.

Run with ``python -m benchmarks.lint [TREE]``; the tree defaults to the installed
``opentelemetry`` package (a large, real, typed code base that does not import obskit).
The target is lint speed at least half of read-plus-parse speed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import time
from pathlib import Path

import opentelemetry

from obskit.conventions import load_registry
from obskit.lint import lint_paths
from obskit.lint._extract import interesting_lines
from obskit.lint._files import iter_python_files
from obskit.lint._lint_config import LintConfig


def _files(tree: Path) -> list[Path]:
    return [p for p in iter_python_files([tree]) if isinstance(p, Path)]


def _parse_all(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        with contextlib.suppress(SyntaxError, ValueError):
            ast.parse(path.read_bytes(), filename=str(path))
    return time.perf_counter() - start


def _walk_all(files: list[Path]) -> float:
    """Read + parse + a full ``ast.walk``: what an extractor without statement pruning pays."""
    start = time.perf_counter()
    for path in files:
        with contextlib.suppress(SyntaxError, ValueError):
            for _ in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
                pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, default=Path(opentelemetry.__path__[0]))
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    files = _files(args.tree)
    registry = load_registry()
    config = LintConfig(root=args.tree)
    triggered = sum(1 for f in files if interesting_lines(f.read_text("utf-8", "replace")))
    lint_paths([args.tree], config, registry=registry)  # warm caches (registry, semconv table)
    parse = extract = lint = float("inf")
    names = 0
    for _ in range(args.repeat):
        gc.collect()
        parse = min(parse, _parse_all(files))
        gc.collect()
        extract = min(extract, _walk_all(files))
        gc.collect()
        start = time.perf_counter()
        result = lint_paths([args.tree], config, registry=registry)
        lint = min(lint, time.perf_counter() - start)
        names = result.summary.names
    count = len(files)
    print(f"tree: {args.tree} ({count} files, {triggered} with a line worth walking)")
    print(f"read + ast.parse:                   {count / parse:8.0f} files/s  ({parse:.3f} s)")
    print(f"read + parse + full ast.walk:       {count / extract:8.0f} files/s  ({extract:.3f} s)")
    print(f"obskit lint (full run):             {count / lint:8.0f} files/s  ({lint:.3f} s)")
    print(f"names checked: {names}; findings: {len(result.findings)}")
    print(
        f"lint speed / ast.parse speed: {parse / lint:.2f} (target >= 0.50); "
        f"a full ast.walk alone would give {parse / extract:.2f}"
    )


if __name__ == "__main__":
    main()
