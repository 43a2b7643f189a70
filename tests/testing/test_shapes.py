"""Native-shaped messages: a handler written for aio-pika, pika, nats-py or redis-py runs
unchanged on the bus, and obskit reads its id, attempt and redelivery through the real adapter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import aio_pika
import pika.spec
import pytest
from nats.aio.msg import Msg

import obskit
from obskit.errors import TransientError
from obskit.messaging import RedisStreamEntry
from obskit.testing import Captured, InMemoryBus

Seen = list[tuple[type, Any, int]]


def pika_handler(seen: Seen) -> Callable[..., Any]:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_order(channel: Any, method: Any, properties: Any, body: bytes) -> None:
        attempt = 1 + properties.headers.get("x-delivery-count", 0)
        seen.append((type(method), json.loads(body), attempt))
        if len(seen) == 1:  # the first delivery ever is refused
            channel.basic_nack(delivery_tag=method.delivery_tag, requeue=True)
            return
        channel.basic_ack(delivery_tag=method.delivery_tag)

    return on_order


def aio_pika_handler(seen: Seen) -> Callable[..., Any]:
    @obskit.traced.consumer("orders", system="rabbitmq")
    async def on_order(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process(requeue=True):  # an exception: reject(requeue=True)
            attempt = 1 + message.headers.get("x-delivery-count", 0)  # type: ignore[operator]
            seen.append((type(message), json.loads(message.body), attempt))
            if len(seen) == 1:
                raise TransientError("first time fails")

    return on_order


def nats_handler(seen: Seen) -> Callable[..., Any]:
    @obskit.traced.consumer("orders", system="nats")
    async def on_order(msg: Msg) -> None:
        seen.append((type(msg), json.loads(msg.data), msg.metadata.num_delivered))
        if len(seen) == 1:
            await msg.nak()
            return
        await msg.ack()

    return on_order


def redis_handler(seen: Seen) -> Callable[..., Any]:
    @obskit.traced.consumer("orders", system="redis")
    def on_order(entry: RedisStreamEntry) -> None:
        seen.append((type(entry), json.loads(entry.fields["body"]), entry.delivery_count or 0))
        if len(seen) == 1:
            raise TransientError("first time fails")

    return on_order


SHAPES = {
    "pika": (pika_handler, pika.spec.Basic.Deliver),
    "aio-pika": (aio_pika_handler, aio_pika.IncomingMessage),
    "nats": (nats_handler, Msg),
    "redis": (redis_handler, RedisStreamEntry),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_redelivery_is_attempt_two_and_a_duplicate_is_a_duplicate(
    shape: str, telemetry: Captured, bus: InMemoryBus
) -> None:
    build, native_type = SHAPES[shape]
    seen: Seen = []
    bus.subscribe("orders", build(seen), shape=shape)
    message = bus.publish("orders", {"id": "o-1"})
    bus.drain()  # the handler refuses the first delivery its own way: the broker redelivers
    bus.deliver(message)  # then the broker hands the same message over once more
    bus.drain()
    assert seen == [
        (native_type, {"id": "o-1"}, 1),
        (native_type, {"id": "o-1"}, 2),
        (native_type, {"id": "o-1"}, 1),
    ]
    spans = telemetry.find_spans("process orders")
    ids = {s.attributes["messaging.message.id"] for s in spans}
    [identity] = ids  # one identity across the three deliveries: the message's, or its entry id
    assert identity == message.message_id or (
        shape == "redis" and re.fullmatch(r"\d+-\d+", identity)
    )
    observed = [
        (
            s.attributes["obskit.message.attempt"],
            s.attributes["obskit.message.redelivered"],
            s.attributes.get("obskit.message.duplicate", False),
        )
        for s in spans
    ]
    assert observed == [(1, False, False), (2, True, False), (1, False, True)]
    assert not bus.dead_letters


@pytest.mark.parametrize(
    ("shape", "refuse"),
    [
        ("pika", lambda ch, method, props, body: ch.basic_reject(method.delivery_tag, False)),
        ("aio-pika", lambda message: message.reject()),
        ("nats", lambda msg: msg.term()),
    ],
)  # fmt: skip
def test_a_handler_rejecting_without_requeue_dead_letters_at_once(
    shape: str, refuse: Callable[..., Any], bus: InMemoryBus
) -> None:
    bus.subscribe("orders", refuse, shape=shape)
    bus.publish("orders", {"id": "o-1"})
    bus.drain()
    [(message, error)] = bus.dead_letters
    assert message.attempt == 1 and "rejected the message" in str(error)


def test_a_pika_handler_publishing_through_its_channel_reaches_the_bus(
    telemetry: Captured, bus: InMemoryBus
) -> None:
    from obskit.messaging import pika_properties

    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_order(channel: Any, method: Any, properties: Any, body: bytes) -> None:
        with obskit.publishing("shipping", system="rabbitmq") as headers:
            channel.basic_publish("", "shipping", body, pika_properties(headers))

    shipped: list[bytes] = []
    bus.subscribe("orders", on_order, shape="pika")
    bus.subscribe("shipping", lambda ch, method, props, body: shipped.append(body), shape="pika")
    bus.publish("orders", {"id": "o-1"})
    assert bus.drain() == 2
    assert shipped == [b'{"id": "o-1"}']
    [sent] = bus.sent("shipping")
    assert sent.trace_id == telemetry.span("process orders").context.trace_id


def settling_handler(shape: str, attempts: list[int]) -> Callable[..., Any]:
    """The same failing handler for each client, with ``settle=True``: obskit settles it."""
    system = {"pika": "rabbitmq", "aio-pika": "rabbitmq", "nats": "nats", "redis": "redis"}
    settle = obskit.traced.consumer("orders", system=system[shape], settle=True, max_attempts=2)

    def record(info: Any) -> None:
        attempts.append(info)
        raise TransientError("warehouse down")

    if shape == "pika":
        return settle(lambda channel, method, properties, body: record(method.redelivered))

    async def handle(message: Any) -> None:
        record(getattr(message, "redelivered", None))

    return settle(handle) if shape in ("aio-pika", "nats") else settle(lambda e: record(None))


@pytest.mark.parametrize("shape", [None, *sorted(SHAPES)])
def test_settle_true_handlers_are_settled_by_their_own_decision(
    shape: str | None, telemetry: Captured, bus: InMemoryBus
) -> None:
    attempts: list[Any] = []
    bus.subscribe("orders", settling_handler(shape or "redis", attempts), shape=shape)
    bus.publish("orders", {"id": "o-1"})
    bus.drain()
    # the decorator's budget (max_attempts=2), not the bus's (the policy's 5), decided
    assert len(attempts) == 2 and bus.max_attempts == 5
    [(message, error)] = bus.dead_letters
    assert message.attempt == 2
    assert "TransientError" in str(error)
    settlements = [
        s.attributes["obskit.message.settlement"] for s in telemetry.find_spans("process orders")
    ]
    assert settlements == ["retry", "dead_letter"]
    assert bus.sent() == [message.again(attempt=1)]  # no copy leaked onto the bus


def test_a_raw_redis_entry_is_retried_as_a_re_added_entry(
    telemetry: Captured, bus: InMemoryBus
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    @obskit.traced.consumer("orders", system="redis")
    def on_entry(entry: tuple[str, dict[str, Any]]) -> None:
        entry_id, fields = entry  # what redis-py's XREADGROUP gives, unwrapped
        seen.append((entry_id, json.loads(fields["body"])))
        if len(seen) == 1:
            raise TransientError("first time fails")

    bus.subscribe("orders", on_entry, shape="redis-raw")
    message = bus.publish("orders", {"id": "o-1"})
    bus.drain()
    bus.deliver(message)
    bus.drain()
    assert [body for _, body in seen] == [{"id": "o-1"}] * 3
    first, retry, duplicate = (entry_id for entry_id, _ in seen)
    assert first == duplicate != retry and re.fullmatch(r"\d+-\d+", retry)
    spans = telemetry.find_spans("process orders")
    assert [
        (
            s.attributes["messaging.message.id"],
            s.attributes.get("obskit.message.attempt"),
            s.attributes.get("obskit.message.duplicate", False),
        )
        for s in spans
    ] == [(first, None, False), (retry, 2, False), (first, None, True)]
