"""A dead collector costs the host nothing: handler throughput next to ``exporter="none"``.

Run: ``python -m benchmarks.dead_collector [--number N] [--rounds R]``. Each side runs in its
own interpreter (OpenTelemetry's providers are set once per process), alternating round by
round so a busy moment on a shared machine hits both alike; the best per-call time of each
side is kept. The handler is a ``@traced.consumer`` that logs one line (written to
``/dev/null``, bridged to OpenTelemetry logs). The dead side exports over OTLP/HTTP to a
closed port: its queues fill, then every span and log record is dropped and counted. The
target: throughput with the dead collector at least 0.8x that with ``exporter="none"``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks._timing import machine

CHILD = """
import os, sys
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
print(per_call_us(lambda: handle(message), number=number, repeat=5))
"""

SIDES = {"exporter='none'": ("none", ""), "dead collector": ("otlp", "http://127.0.0.1:9")}


def _per_call_us(exporter: str, endpoint: str, number: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, exporter, endpoint, str(number)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(number: int, rounds: int) -> dict[str, float]:
    """Best microseconds per handled message, by side."""
    best = {side: float("inf") for side in SIDES}
    for _ in range(rounds):
        for side, (exporter, endpoint) in SIDES.items():
            best[side] = min(best[side], _per_call_us(exporter, endpoint, number))
    return best


def report(best: dict[str, float]) -> str:
    none, dead = best["exporter='none'"], best["dead collector"]
    return (
        f"handler: {none:.1f} us with exporter='none', {dead:.1f} us with a dead collector; "
        f"throughput ratio {none / dead:.2f}x (target >= 0.8x)"
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
