"""``python -c "import obskit"`` against the imports a service pays for anyway, in one run.

Run: ``python -m benchmarks.imports [--repeat N]``. Each statement runs as a whole fresh
interpreter; the statements are interleaved in every round (so a busy moment on a shared
machine hits them alike); the best and median wall time of the rounds are printed, and the best
CPU time (what other jobs on a shared machine inflate least), with the interpreter's own start
(``pass``) shown and subtracted. The target is ``import obskit`` at
most about 0.15 s, next to ``import opentelemetry.sdk.trace`` and ``import structlog``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

from benchmarks._timing import machine

STATEMENTS = {
    "pass": "pass",
    "import obskit": "import obskit",
    "import opentelemetry.sdk.trace": "import opentelemetry.sdk.trace",
    "import structlog": "import structlog",
    "from obskit import traced (decorating)": "from obskit import traced",
    "configure() + get_logger() (a service)": (
        "import obskit; obskit.configure(exporter='none'); obskit.get_logger('x')"
    ),
}


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(statement: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``statement``."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in STATEMENTS}
    for _ in range(args.repeat):
        for name, statement in STATEMENTS.items():
            times[name].append(_run(statement))
    wall = {name: [w for w, _ in runs] for name, runs in times.items()}
    cpu = {name: min(c for _, c in runs) for name, runs in times.items()}
    print(machine())
    print(
        f"{'statement':<42} {'wall min s':>10} {'median s':>9} {'CPU min s':>10} {'CPU - pass':>11}"
    )
    for name in STATEMENTS:
        best, median = min(wall[name]), statistics.median(wall[name])
        above = cpu[name] - cpu["pass"]
        print(f"{name:<42} {best:10.3f} {median:9.3f} {cpu[name]:10.3f} {above:11.3f}")
    obskit = cpu["import obskit"] - cpu["pass"]
    for peer in ("import opentelemetry.sdk.trace", "import structlog"):
        ratio = obskit / (cpu[peer] - cpu["pass"])
        print(f"import obskit / {peer}: {ratio:.2f} (CPU above the interpreter's own start)")


if __name__ == "__main__":
    main()
