"""paho-mqtt v5 messages: user properties carry the context; ``mqtt_properties`` builds them."""

from __future__ import annotations

from paho.mqtt.client import MQTTMessage
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from tests.messaging.conftest import TRACEPARENT

from obskit.messaging import mqtt_properties
from obskit.messaging._mqtt import read_mqtt


def test_message_with_user_properties() -> None:
    message = MQTTMessage(mid=3, topic=b"sensors/eu/temp")
    message.payload = b"21.5"
    message.dup = True
    message.properties = mqtt_properties({"traceparent": TRACEPARENT})
    message.properties.CorrelationData = b"req-1"
    info = read_mqtt(message)
    assert info.headers == [("traceparent", TRACEPARENT)]
    assert (info.destination, info.conversation_id, info.body_size) == (
        "sensors/eu/temp",
        "req-1",
        4,
    )
    assert info.redelivered is True and info.message_id is None


def test_v311_message_has_no_headers() -> None:
    message = MQTTMessage(mid=0, topic=b"t")
    info = read_mqtt(message)
    assert info.headers is None and info.redelivered is False


def test_properties_helper_adds_to_existing_properties() -> None:
    existing = Properties(PacketTypes.PUBLISH)
    existing.UserProperty = ("tenant", "acme")
    built = mqtt_properties([("traceparent", TRACEPARENT.encode())], properties=existing)
    assert built is existing
    assert built.UserProperty == [("tenant", "acme"), ("traceparent", TRACEPARENT)]
