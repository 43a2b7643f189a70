"""``python -c "import obskit"`` against the imports a service pays for anyway, in one run.

Run: ``python -m benchmarks.imports [--repeat N]``. Each statement runs as a whole fresh
interpreter; the statements are interleaved in every round (so a busy moment on a shared
machine hits them alike) and the best and median of the rounds are printed, with the
interpreter's own start (``pass``) shown and subtracted. The target is ``import obskit`` at
most about 0.15 s, next to ``import opentelemetry.sdk.trace`` and ``import structlog``.
"""

from __future__ import annotations

import argparse
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


def _run(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for _ in range(args.repeat):
        for name, statement in STATEMENTS.items():
            times[name].append(_run(statement))
    start_up = min(times["pass"])
    print(machine())
    print(f"{'statement':<42} {'min s':>7} {'median s':>9} {'min - pass':>11}")
    for name, runs in times.items():
        best = min(runs)
        print(f"{name:<42} {best:7.3f} {statistics.median(runs):9.3f} {best - start_up:11.3f}")
    obskit = min(times["import obskit"]) - start_up
    for peer in ("import opentelemetry.sdk.trace", "import structlog"):
        print(f"import obskit / {peer}: {obskit / (min(times[peer]) - start_up):.2f} (above start)")


if __name__ == "__main__":
    main()
