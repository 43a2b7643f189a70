"""MQTT v5 end to end through Mosquitto: user properties carry the context."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import structlog
from structlog.typing import EventDict
from tests.support.brokers import messaging_attributes, mqtt_subscriber, round_trip, trace_hex

import obskit
from obskit.messaging import mqtt_properties
from obskit.testing import capture

pytestmark = pytest.mark.broker


def test_mqtt_v5_subscriber_continues_the_producer_trace(handler_logs: list[EventDict]) -> None:
    received = threading.Event()

    @obskit.traced.consumer("sensors", system="mqtt")
    def on_message(client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        structlog.get_logger().info("reading_received", topic=message.topic)
        received.set()

    with mqtt_subscriber(on_message) as (client, topic), capture() as tel:
        with obskit.publishing("sensors", system="mqtt") as headers:
            info = client.publish(topic, b"21.5", qos=1, properties=mqtt_properties(headers))
        info.wait_for_publish(5)
        assert received.wait(5)

    producer, (consumer,) = round_trip(tel, "sensors")
    attributes = dict(consumer.attributes or {})
    assert messaging_attributes(consumer) == {
        "messaging.system": "mqtt",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "sensors",
        "messaging.message.body.size": 4,
    }
    assert attributes["obskit.message.redelivered"] is False
    assert 0 <= attributes["obskit.message.age"] < 5
    (event,) = [e for e in handler_logs if e["event"] == "reading_received"]
    assert event["trace_id"] == trace_hex(producer)
