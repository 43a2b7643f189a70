"""nats-py ``Msg``: core messages and JetStream metadata from the ack reply subject."""

from __future__ import annotations

from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from tests.messaging.conftest import PRODUCER_SPAN_ID, TRACEPARENT

import obskit
from obskit.messaging._nats import read_msg
from obskit.testing import capture

# $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp ns>.<pending>
JS_REPLY = "$JS.ACK.ORDERS.workers.3.42.17.1700000000000000000.0"


def test_core_message() -> None:
    msg = Msg(None, subject="orders.eu", data=b"abc", headers={"Nats-Msg-Id": "n-1"})  # type: ignore[arg-type]
    info = read_msg(msg)
    assert (info.destination, info.message_id, info.body_size) == ("orders.eu", "n-1", 3)
    assert info.attempt is None and info.redelivered is None and info.timestamp is None


def test_jetstream_message_metadata() -> None:
    msg = Msg(None, subject="orders.eu", reply=JS_REPLY, data=b"abc")  # type: ignore[arg-type]
    info = read_msg(msg)
    assert info.timestamp == 1_700_000_000.0
    assert info.message_id == "ORDERS:42"
    assert (info.attempt, info.redelivered) == (3, True)
    assert info.attributes == {"messaging.consumer.group.name": "workers"}


async def test_jetstream_span() -> None:
    headers = {"traceparent": TRACEPARENT}
    msg = Msg(None, subject="orders.eu", reply=JS_REPLY, data=b"abc", headers=headers)  # type: ignore[arg-type]

    @obskit.traced.consumer("orders", system="nats")
    async def handle(message: Msg) -> None:
        pass

    with capture() as tel:
        await handle(msg)
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert attributes["messaging.message.id"] == "ORDERS:42"
    assert attributes["messaging.consumer.group.name"] == "workers"
    assert attributes["obskit.message.attempt"] == 3
    assert attributes["obskit.message.redelivered"] is True


def test_a_malformed_jetstream_ack_subject_keeps_the_trace() -> None:
    msg = Msg(
        None,  # type: ignore[arg-type]
        subject="orders",
        reply="$JS.ACK.too.short",
        data=b"{}",
        headers={"traceparent": TRACEPARENT},
    )
    info = read_msg(msg)
    assert info.headers == {"traceparent": TRACEPARENT}
    assert (info.destination, info.body_size, info.attempt) == ("orders", 2, None)
