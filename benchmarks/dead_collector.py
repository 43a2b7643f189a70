"""A dead collector costs the host nothing: handler throughput next to ``exporter="none"``.

Run: ``python -m benchmarks.dead_collector [--number N] [--rounds R]``. Each side runs in its
own interpreter (OpenTelemetry's providers are set once per process), alternating round by
round so a busy moment on a shared machine hits both alike. Both sides run the same handler
and record the same telemetry: a ``@traced.consumer`` span and its duration histogram, and one
log line (written to ``/dev/null``, bridged to OpenTelemetry logs). ``exporter="none"`` keeps
them in the process; the dead side exports over OTLP/HTTP to a closed port. Its queues are
filled first (and export attempts have begun failing), so what is timed is the steady state of
an outage: every span and log record is dropped and counted.

Three clocks, best run of each side: the handler thread's CPU time (the host's cost, the figure
the target is about), the process's CPU time (which adds obskit's export threads: batches
encoded and retried for a collector that is not there) and wall time (on a machine shared with
other work, mostly the neighbours). The target: throughput with the dead collector at least
0.8x that with ``exporter="none"``, in handler CPU.
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
from obskit._losses import losses
from obskit.logging import configure_logging

exporter, endpoint, number, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
obskit.configure(service_name="bench", exporter=exporter, endpoint=endpoint or None,
                 environment="production", shutdown_timeout=1)
configure_logging(stream=open(os.devnull, "w"))
log = obskit.get_logger("bench")

@obskit.traced.consumer("orders", system="rabbitmq")
def handle(message):
    log.info("order_received", order_id=message["id"])

message = {"headers": {}, "id": "o-1"}
for _ in range(5000):  # warm caches; on the dead side, fill the queues (2048 each)
    handle(message)
clocks = (time.thread_time, time.process_time, time.perf_counter)
best = [float("inf")] * len(clocks)
for _ in range(repeat):
    started = [clock() for clock in clocks]
    for _ in range(number):
        handle(message)
    ended = [clock() for clock in clocks]
    best = [min(b, (e - s) / number * 1e6) for b, s, e in zip(best, started, ended)]
print(json.dumps({"thread": best[0], "process": best[1], "wall": best[2],
                  "dropped": {s: losses.total(s) for s in ("span", "log")}}))
"""

SIDES = {"exporter='none'": ("none", ""), "dead collector": ("otlp", "http://127.0.0.1:9")}
CLOCKS = ("thread", "process", "wall")


def _per_call_us(exporter: str, endpoint: str, number: int, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, exporter, endpoint, str(number), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    dropped = result.pop("dropped")
    if exporter != "none" and not all(dropped.values()):
        raise RuntimeError("the dead side timed no outage: its queues never filled")
    return {clock: float(result[clock]) for clock in CLOCKS}


def measure(number: int, rounds: int, repeat: int = 5) -> dict[str, dict[str, float]]:
    """Best microseconds per handled message, by side and clock (thread, process, wall)."""
    best = {side: dict.fromkeys(CLOCKS, float("inf")) for side in SIDES}
    for _ in range(rounds):
        for side, (exporter, endpoint) in SIDES.items():
            times = _per_call_us(exporter, endpoint, number, repeat)
            best[side] = {clock: min(best[side][clock], times[clock]) for clock in CLOCKS}
    return best


def report(best: dict[str, dict[str, float]]) -> str:
    none, dead = best["exporter='none'"], best["dead collector"]
    ratio = {clock: none[clock] / dead[clock] for clock in CLOCKS}
    return (
        f"handler CPU: {none['thread']:.1f} us with exporter='none', {dead['thread']:.1f} us "
        f"with a dead collector: throughput ratio {ratio['thread']:.2f}x (target >= 0.8x); "
        f"process CPU: {none['process']:.1f} / {dead['process']:.1f} us, "
        f"{ratio['process']:.2f}x; wall: {none['wall']:.1f} / {dead['wall']:.1f} us, "
        f"{ratio['wall']:.2f}x"
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
