"""The NATS and Redis transports against real brokers: redelivery counted by the broker, the
broker's attributes on the consumer spans, and nothing left behind on the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from obskit.demo import run_demo
from obskit.demo._transport import (
    BrokerMessage,
    Envelope,
    NatsTransport,
    RedisTransport,
    Transport,
    open_transport,
)
from obskit.errors import PoisonMessage
from obskit.messaging import adapter_for
from obskit.testing import BusMessage
from tests.conftest import require_broker

BROKERS = ["nats", "redis"]


def _open(broker: str) -> Transport:
    require_broker(broker)
    return open_transport(broker)


def _failing(seen: list[BusMessage], failures: int) -> Callable[[BusMessage], None]:
    def handler(message: BusMessage) -> None:
        seen.append(message)
        if len(seen) <= failures:
            raise RuntimeError("boom")

    return handler


@pytest.mark.parametrize("broker", BROKERS)
def test_open_transport_picks_the_broker(broker: str) -> None:
    transport = _open(broker)
    try:
        expected = NatsTransport if broker == "nats" else RedisTransport
        assert isinstance(transport, expected)
        assert transport.system == broker
    finally:
        transport.close()


@pytest.mark.parametrize("broker", BROKERS)
def test_a_failed_delivery_comes_back_counted_by_the_broker(broker: str) -> None:
    transport = _open(broker)
    seen: list[BusMessage] = []
    try:
        transport.subscribe("work", _failing(seen, failures=1))
        transport.send(Envelope("work", {"n": 1}, {"traceparent": "x"}, "m-1"))
        assert transport.run_until_idle() == 2
        assert transport.run_until_idle() == 0
    finally:
        transport.close()
    assert [m.attempt for m in seen] == [1, 2]
    assert [m.redelivered for m in seen] == [False, True]
    assert all(m.body == {"n": 1} and m.headers["traceparent"] == "x" for m in seen)
    assert all(isinstance(m, BrokerMessage) for m in seen)
    info = adapter_for(type(seen[1]))(seen[1])
    assert (info.attempt, info.redelivered) == (2, True)
    assert "messaging.consumer.group.name" in info.attributes


@pytest.mark.parametrize("broker", BROKERS)
def test_a_message_that_always_fails_stops_after_max_attempts(broker: str) -> None:
    transport = _open(broker)
    seen: list[BusMessage] = []
    try:
        transport.subscribe("work", _failing(seen, failures=99))
        transport.send(Envelope("work", {"n": 1}, {}, "m-1"))
        transport.send(Envelope("work", {"n": 2}, {}, "m-2"))
        assert transport.run_until_idle() == 6
        assert transport.run_until_idle() == 0
    finally:
        transport.close()
    assert sorted((m.body["n"], m.attempt) for m in seen) == [
        (n, a) for n in (1, 2) for a in (1, 2, 3)
    ]


def test_redis_streams_are_deleted_on_close() -> None:
    require_broker("redis")
    import redis

    transport = RedisTransport()
    transport.subscribe("work", lambda message: None)
    transport.send(Envelope("work", {}, {}, "m-1"))
    client = redis.Redis(decode_responses=True)
    try:
        streams = list(transport._streams.values())
        assert client.exists(*streams) == 1
        transport.close()
        assert client.exists(*streams) == 0
    finally:
        client.close()


def test_nats_stream_is_deleted_on_close() -> None:
    require_broker("nats")
    import nats

    transport = NatsTransport()
    transport.subscribe("work", lambda message: None)
    transport.send(Envelope("work", {}, {}, "m-1"))
    stream = transport._stream

    async def stream_names() -> list[str | None]:
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            return [info.config.name for info in await nc.jetstream().streams_info()]
        finally:
            await nc.close()

    assert stream in asyncio.run(stream_names())
    transport.close()
    assert stream not in asyncio.run(stream_names())


@pytest.mark.parametrize("broker", BROKERS)
def test_the_retried_shipment_carries_the_brokers_attributes(broker: str) -> None:
    require_broker(broker)
    summary = run_demo(broker)
    assert (summary.spans, summary.retried, summary.late, summary.out_of_order) == (41, 1, 1, 1)
    shipping = [
        s
        for s in summary.span_data
        if s.kind is SpanKind.CONSUMER
        and (s.attributes or {}).get("messaging.destination.name") == "shipping"
        and (s.attributes or {}).get("app.order.id") == "ord-1003"
    ]
    assert [s.status.status_code for s in shipping] == [StatusCode.ERROR, StatusCode.UNSET]
    retry = dict(shipping[1].attributes or {})
    assert retry["messaging.system"] == broker
    assert retry["obskit.message.attempt"] == 2
    assert retry["obskit.message.redelivered"] is True
    assert retry["messaging.consumer.group.name"]
    if broker == "redis":
        assert str(retry["messaging.client.id"]).startswith("demo-")


def test_the_retried_shipment_over_rabbitmq_carries_the_amqp_attributes() -> None:
    require_broker("rabbitmq")
    summary = run_demo("rabbitmq")
    retried = [
        dict(s.attributes or {})
        for s in summary.span_data
        if s.kind is SpanKind.CONSUMER
        and (s.attributes or {}).get("messaging.destination.name") == "shipping"
        and (s.attributes or {}).get("obskit.message.redelivered") is True
    ]
    assert len(retried) == 1
    (retry,) = retried
    assert retry["messaging.system"] == "rabbitmq"
    assert retry["obskit.message.attempt"] == 2
    assert str(retry["messaging.rabbitmq.destination.routing_key"]).startswith("obskit-demo")
    assert isinstance(retry["messaging.rabbitmq.message.delivery_tag"], int)


@pytest.mark.parametrize("broker", ["memory", "rabbitmq", *BROKERS])
@pytest.mark.parametrize(
    ("error", "deliveries"),
    [(TimeoutError("slow"), 3), (PoisonMessage("undecodable"), 1)],
    ids=["transient", "poison"],
)
def test_every_transport_redelivers_by_the_one_rule(
    broker: str, error: Exception, deliveries: int
) -> None:
    """The ErrorPolicy's decision, as every settling consumer makes it: a transient failure is
    tried ``max_attempts`` (3) times, a poison message once."""
    if broker != "memory":
        require_broker(broker)
    transport = open_transport(broker)
    seen: list[BusMessage] = []

    def handler(message: BusMessage) -> None:
        seen.append(message)
        raise error

    try:
        transport.subscribe("work", handler)
        transport.send(Envelope("work", {"n": 1}, {}, "m-rule"))
        transport.run_until_idle()
        assert len(seen) == deliveries
        assert [m.attempt for m in seen] == list(range(1, deliveries + 1))
    finally:
        transport.close()
