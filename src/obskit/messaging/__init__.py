"""Messaging: consumer and producer instrumentation, and the adapters that read broker messages.

Adapters are registered by the message type's module and class name, so importing this package
never imports a broker client; helpers that build a client's objects import it when called.
"""

from obskit.messaging import _aio_pika, _kafka, _mqtt, _nats  # noqa: F401  (register adapters)
from obskit.messaging._adapter import MessageInfo, SettleRequest, adapter_for, register_adapter
from obskit.messaging._decision import Settle, SettlementDecision, decide_settlement
from obskit.messaging._mqtt import mqtt_properties
from obskit.messaging._pika import PikaDelivery, pika_properties
from obskit.messaging._producer import publishing
from obskit.messaging._redis import (
    RedisStreamEntry,
    pending_delivery_counts,
    redis_delivery_counts,
    redis_entries,
    redis_entry,
)
from obskit.messaging._replay import replay_dead_letters
from obskit.messaging._settle import Settlement, settled
from obskit.messaging._settling import BROKER_DEAD_LETTER

__all__ = [
    "BROKER_DEAD_LETTER",
    "MessageInfo",
    "PikaDelivery",
    "RedisStreamEntry",
    "Settle",
    "SettleRequest",
    "Settlement",
    "SettlementDecision",
    "adapter_for",
    "decide_settlement",
    "mqtt_properties",
    "pending_delivery_counts",
    "pika_properties",
    "publishing",
    "redis_delivery_counts",
    "redis_entries",
    "redis_entry",
    "register_adapter",
    "replay_dead_letters",
    "settled",
]
