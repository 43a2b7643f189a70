"""A dead collector costs the host nothing: handler throughput next to ``exporter="none"``.

Run: ``python -m benchmarks.dead_collector [--number N] [--rounds R]``. Each side runs in its
own interpreter (OpenTelemetry's providers are set once per process), alternating round by
round so a busy moment on a shared machine hits both alike; the best per-call time of each
side is kept, as the handler thread's CPU time (its cost) and as wall time (which, on a
machine shared with other work, mostly measures the neighbours). The handler is a
``@traced.consumer`` that logs one line (written to ``/dev/null``, bridged to OpenTelemetry
logs). The dead side exports over OTLP/HTTP to a closed port: its queues fill, then every span
and log record is dropped and counted. The target: throughput with the dead collector at least
0.8x that with ``exporter="none"``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from benchmarks._timing import machine

CHILD = """
import json, os, sys, time
import obskit
from benchmarks._timing import per_call_us
from obskit.logging import configure_logging

exporter, endpoint, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
obskit.configure(service_name="bench", exporter=exporter, endpoint=endpoint or None,
                 environment="production", shutdown_timeout=1)
configure_logging(stream=open(os.devnull, "w"))
log = obskit.get_logger("bench")

@obskit.traced.consumer("orders", system="rabbitmq")
def handle(message):
    log.info("order_received", order_id=message["id"])

message = {"headers": {}, "id": "o-1"}
started = time.thread_time()
wall = per_call_us(lambda: handle(message), number=number, repeat=5)
cpu = (time.thread_time() - started) / (number * 5 + max(1, number // 10)) * 1e6
print(json.dumps([wall, cpu]))
"""

SIDES = {"exporter='none'": ("none", ""), "dead collector": ("otlp", "http://127.0.0.1:9")}


def _per_call_us(exporter: str, endpoint: str, number: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, exporter, endpoint, str(number)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu)


def measure(number: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Best ``(wall, CPU)`` microseconds per handled message, by side."""
    best = {side: (float("inf"), float("inf")) for side in SIDES}
    for _ in range(rounds):
        for side, (exporter, endpoint) in SIDES.items():
            wall, cpu = _per_call_us(exporter, endpoint, number)
            best[side] = (min(best[side][0], wall), min(best[side][1], cpu))
    return best


def report(best: dict[str, tuple[float, float]]) -> str:
    (none_wall, none_cpu), (dead_wall, dead_cpu) = best["exporter='none'"], best["dead collector"]
    return (
        f"handler CPU: {none_cpu:.1f} us with exporter='none', {dead_cpu:.1f} us with a dead "
        f"collector: throughput ratio {none_cpu / dead_cpu:.2f}x (target >= 0.8x); "
        f"wall: {none_wall:.1f} / {dead_wall:.1f} us, ratio {none_wall / dead_wall:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="messages per timing")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args()
    print(machine())
    print(report(measure(args.number, args.rounds)))


if __name__ == "__main__":
    main()
