"""MQTT through paho-mqtt 2.x: ``MQTTMessage``, with trace context in MQTT v5 user properties.

MQTT 3.1.1 has no headers, so its messages carry no context (they still get a span).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from obskit._extras import require
from obskit.messaging._adapter import (
    MessageInfo,
    _opt_str,
    register_adapter,
    register_arguments,
)

__all__ = ["mqtt_properties"]


def message_in(args: tuple[Any, ...]) -> Any:
    """``on_message(client, userdata, message)``: the message is the third argument."""
    message = type(args[2])
    if message.__name__ == "MQTTMessage" and message.__module__.startswith("paho"):
        return args[2]
    return None


def read_mqtt(message: Any) -> MessageInfo:
    properties = message.properties
    payload = message.payload
    return MessageInfo(
        headers=getattr(properties, "UserProperty", None),
        destination=message.topic,
        conversation_id=_opt_str(getattr(properties, "CorrelationData", None)),
        body_size=len(payload) if payload is not None else None,
        redelivered=bool(message.dup),  # the DUP flag: a QoS 1/2 retransmission
    )


def mqtt_properties(
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    *,
    properties: Any = None,
) -> Any:
    """MQTT v5 PUBLISH ``Properties`` carrying ``headers`` as user properties.

    ``client.publish(topic, payload, properties=mqtt_properties(headers))``; pass
    ``properties=`` to add the user properties to ones you built. Needs
    ``pip install obskit[mqtt]``.
    """
    if properties is None:
        mqtt_properties_module = require("paho.mqtt.properties", "mqtt")
        packet_types = require("paho.mqtt.packettypes", "mqtt")
        properties = mqtt_properties_module.Properties(packet_types.PacketTypes.PUBLISH)
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    user = [(str(key), _text(value)) for key, value in pairs]
    if user:
        properties.UserProperty = user  # paho appends to existing user properties
    return properties


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


register_adapter("paho.mqtt.client", "MQTTMessage", read_mqtt)
register_arguments(3, message_in)
