"""Shared fixtures: broker availability (fail under CI, never skip silently there).

Isolation between tests is the obskit pytest plugin's own autouse reset (what users get).
"""

from __future__ import annotations

import socket

from tests.support.unavailable import unavailable

#: pytester: tests of the obskit pytest plugin run an inner session; brokers: the one broker
#: round-trip helper every broker test uses
pytest_plugins = ("pytester", "tests.support.brokers")

BROKER_PORTS = {"rabbitmq": 5672, "nats": 4222, "redis": 6379, "mqtt": 1883}


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require_broker(name: str) -> None:
    """Fail (under ``CI=true``) or skip (locally) when the named broker is not listening."""
    port = BROKER_PORTS[name]
    if _reachable(port):
        return
    message = f"{name} is not reachable on 127.0.0.1:{port}; run scripts/brokers.py"
    unavailable(message)
