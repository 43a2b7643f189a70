"""Make sure the brokers the integration tests use are up; start the ones that are down.

Waits with a bounded timeout. Under ``CI=true`` an unreachable broker is an error (exit 1);
otherwise a warning, and the tests that need it fail with a clear message.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time

BROKERS = {
    "redis": (
        6379,
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
    ),
    "rabbitmq": (5672, "rabbitmq-server -detached"),
    "mosquitto": (1883, "mosquitto -d -c /etc/mosquitto/mosquitto.conf"),
    "nats": (
        4222,
        "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- "
        "-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log",
    ),
}
TIMEOUT = float(os.environ.get("OBSKIT_BROKER_TIMEOUT", "90"))


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def main() -> int:
    down = {name: spec for name, spec in BROKERS.items() if not reachable(spec[0])}
    for name, (_port, command) in down.items():
        print(f"starting {name}: {command}", file=sys.stderr)
        try:
            subprocess.run(shlex.split(command), check=False, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"could not start {name}: {exc}", file=sys.stderr)
    deadline = time.monotonic() + TIMEOUT
    while down and time.monotonic() < deadline:
        down = {n: s for n, s in down.items() if not reachable(s[0])}
        if down:
            time.sleep(0.5)
    if down:
        names = ", ".join(sorted(down))
        message = f"brokers unreachable after {TIMEOUT:.0f}s: {names}"
        if os.environ.get("CI") == "true":
            print(f"error: {message}", file=sys.stderr)
            return 1
        print(f"warning: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
