"""``obskit lint`` against bare ``read`` + ``ast.parse`` of the same files, as whole processes.

Run: ``python -m benchmarks.lint [--repeat N] [--growth]``. The tree is the installed
OpenTelemetry, structlog, Starlette, httpx, pika and redis packages (real, typed code that does
not import obskit). Every command runs as a fresh interpreter, as a user or pre-commit runs it,
and the commands are interleaved in each round so a busy moment on a shared machine hits them
alike; the best and the median of the rounds are printed. Targets: lint at least 1.0x the speed
of one process doing read + ``ast.parse``; one file from a cold start under 0.25 s; growth from
100 to 1,000 to 10,000 files linear (``--growth``).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._timing import machine

PACKAGES = ("opentelemetry", "structlog", "starlette", "httpx", "pika", "redis")
#: one process, no obskit: find the files, read and parse each (what lint is measured against)
PARSE = """
import ast, pathlib, sys
for root in sys.argv[1:]:
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        try:
            ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            pass
"""
#: a file a service really has: spans, attributes, log calls (as pre-commit hands it over)
ONE_FILE = Path(__file__).resolve().parents[1] / "src" / "obskit" / "demo" / "_shop.py"


def package_roots() -> list[Path]:
    return [Path(next(iter(importlib.import_module(name).__path__))) for name in PACKAGES]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (CPU summed over its workers)."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]} failed: {done.stderr.decode()}")
    return elapsed, _cpu() - cpu


def _lint(*args: str) -> list[str]:
    return [sys.executable, "-m", "obskit.cli", "lint", *args]


Runs = dict[str, list[tuple[float, float]]]


def _rounds(commands: dict[str, list[str]], repeat: int, cwd: Path) -> Runs:
    times: Runs = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(_run(command, cwd))
    return times


def _wall(runs: list[tuple[float, float]]) -> list[float]:
    return [wall for wall, _ in runs]


def _table(times: Runs, files: int) -> None:
    print(f"{'process':<38} {'wall min s':>10} {'median s':>9} {'CPU min s':>10} {'files/s':>8}")
    for name, runs in times.items():
        best, median = min(_wall(runs)), statistics.median(_wall(runs))
        cpu = min(c for _, c in runs)
        print(f"{name:<38} {best:10.3f} {median:9.3f} {cpu:10.3f} {files / best:8.0f}")


def _tree_of(size: int, sources: list[Path], into: Path) -> Path:
    """``size`` real files copied (cycling through ``sources``) into a fresh directory."""
    root = into / f"tree{size}"
    for index, source in zip(range(size), itertools.cycle(sources)):
        folder = root / f"d{index // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / f"m{index}_{source.name}")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--growth", action="store_true", help="also 100, 1,000 and 10,000 files")
    args = parser.parse_args()
    roots = package_roots()
    files = sorted(p for root in roots for p in root.rglob("*.py"))
    tree = [str(root) for root in roots]
    print(machine())
    print(f"tree: {len(files)} files from {', '.join(PACKAGES)}")
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)  # no pyproject.toml: the default configuration
        times = _rounds(
            {
                "python: read + ast.parse": [sys.executable, "-c", PARSE, *tree],
                "obskit lint (one process, --jobs 1)": _lint("--jobs", "1", *tree),
                "obskit lint (default: every core)": _lint(*tree),
                "obskit lint --parse-all --jobs 1": _lint("--parse-all", "--jobs", "1", *tree),
            },
            args.repeat,
            cwd,
        )
        _table(times, len(files))
        parse = _wall(times["python: read + ast.parse"])
        for name in list(times)[1:]:
            best = min(parse) / min(_wall(times[name]))
            median = statistics.median(parse) / statistics.median(_wall(times[name]))
            print(f"{name} / read + ast.parse, speed (wall): {best:.2f} min, {median:.2f} median")
        print(f"\none file from a cold start ({ONE_FILE.name}):")
        _table(
            _rounds(
                {
                    "python -c pass": [sys.executable, "-c", "pass"],
                    f"obskit lint {ONE_FILE.name}": _lint(str(ONE_FILE)),
                },
                args.repeat,
                cwd,
            ),
            1,
        )
        if args.growth:
            sizes = (100, 1_000, 10_000)
            trees = {size: _tree_of(size, files, cwd) for size in sizes}
            growth = _rounds(
                {f"{size:,} files": _lint(str(trees[size])) for size in sizes},
                max(1, args.repeat // 2),
                cwd,
            )
            print("\ngrowth (obskit lint, default jobs):")
            print(f"{'tree':<14} {'min s':>7} {'ms / file':>10}")
            for size, runs in zip(sizes, growth.values(), strict=True):
                best = min(_wall(runs))
                print(f"{size:>8,} files {best:7.3f} {best / size * 1e3:10.3f}")


if __name__ == "__main__":
    main()
