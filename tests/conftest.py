"""Shared fixtures: broker availability (fail under CI, never skip silently there)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from obskit import _setup
from obskit.logging import _chain
from obskit.messaging import _observe

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
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _fresh_obskit_state() -> Iterator[None]:
    """Each test starts with default settings, a fresh log chain and empty message windows."""
    _setup.reset_settings()
    _chain.reset()
    _observe.reset()
    yield
    _setup.reset_settings()
    _chain.reset()
