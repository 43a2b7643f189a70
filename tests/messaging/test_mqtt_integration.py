"""MQTT v5 end to end through Mosquitto: user properties carry the context."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import structlog
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.conftest import require_broker
from tests.messaging.conftest import trace_hex, unique

import obskit
from obskit.messaging import mqtt_properties
from obskit.testing import assert_parent, capture

pytestmark = pytest.mark.broker


def test_mqtt_v5_subscriber_continues_the_producer_trace(handler_logs: list[EventDict]) -> None:
    require_broker("mqtt")
    topic = f"obskit/test/{unique('mqtt')}"
    subscribed, received = threading.Event(), threading.Event()

    @obskit.traced.consumer("sensors", system="mqtt")
    def on_message(client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        structlog.get_logger().info("reading_received", topic=message.topic)
        received.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect("127.0.0.1", 1883, keepalive=10)
    client.loop_start()
    try:
        with capture() as tel:
            client.subscribe(topic, qos=1)
            assert subscribed.wait(5)
            with obskit.publishing("sensors", system="mqtt") as headers:
                info = client.publish(topic, b"21.5", qos=1, properties=mqtt_properties(headers))
            info.wait_for_publish(5)
            assert received.wait(5)
    finally:
        client.loop_stop()
        client.disconnect()

    producer = tel.span("send sensors", SpanKind.PRODUCER)
    consumer = tel.span("process sensors", SpanKind.CONSUMER)
    assert_parent(producer, consumer)
    attributes = dict(consumer.attributes or {})
    assert {k: v for k, v in attributes.items() if k.startswith("messaging.")} == {
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
