"""Broker clients are optional: importing obskit loads none, helpers name the missing extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from obskit.messaging import mqtt_properties, pika_properties

CLIENTS = ("pika", "aio_pika", "aiormq", "nats", "redis", "paho", "aiokafka", "confluent_kafka")


def test_importing_obskit_imports_no_broker_client() -> None:
    code = (
        "import sys, obskit, obskit.messaging, obskit.testing\n"
        f"loaded = [m for m in {CLIENTS!r} if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("helper", "module", "extra"),
    [
        (pika_properties, "pika", "rabbitmq"),
        (mqtt_properties, "paho.mqtt.properties", "mqtt"),
    ],
)
def test_missing_client_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, helper: object, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError, match=rf"pip install obskit\[{extra}\]"):
        helper()  # type: ignore[operator]
