"""``settle=True`` on NATS JetStream: ack, nak(delay) and term() by outcome, attempts from the
delivery metadata, dead letters in a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from opentelemetry.trace import SpanKind
from tests.conftest import require_broker
from tests.messaging.conftest import unique

import obskit
from obskit.errors import BusinessRuleViolation, PoisonMessage, TransientError
from obskit.messaging import BROKER_DEAD_LETTER
from obskit.testing import Captured, assert_parent, capture

pytestmark = pytest.mark.broker

FAILURES: dict[str, type[Exception] | None] = {
    "ok": None,
    "business": BusinessRuleViolation,
    "poison": PoisonMessage,
    "transient": TransientError,
}
EXPECTED = {
    "ok": [(1, "ack")],
    "business": [(1, "ack")],
    "poison": [(1, "dead_letter")],
    "transient": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
}


@dataclass
class Streams:
    js: Any
    subject: str
    dead_letter: str
    names: tuple[str, str]


@pytest.fixture
async def streams() -> AsyncIterator[Streams]:
    """A stream for the orders and one for their dead letters."""
    require_broker("nats")
    nc = await nats.connect("nats://127.0.0.1:4222", connect_timeout=2, max_reconnect_attempts=0)
    js = nc.jetstream(timeout=5)
    name = unique("settle").replace("-", "_").upper()
    subject = f"{name.lower()}.orders"
    await js.add_stream(name=name, subjects=[subject])
    await js.add_stream(name=f"{name}_DL", subjects=[f"{subject}.dead-letter"])
    try:
        yield Streams(js, subject, f"{subject}.dead-letter", (name, f"{name}_DL"))
    finally:
        for stream in (name, f"{name}_DL"):
            await js.delete_stream(stream)
        await nc.close()


def deliveries(tel: Captured, subject: str) -> list[tuple[int, str]]:
    spans = sorted(
        tel.find_spans(f"process {subject}", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
    )
    return [
        (
            int((s.attributes or {})["obskit.message.attempt"]),  # type: ignore[arg-type]
            str((s.attributes or {})["obskit.message.settlement"]),
        )
        for s in spans
    ]


async def pending(streams: Streams, durable: str) -> tuple[int, int]:
    """(messages not yet delivered, delivered but not settled) for the consumer."""
    await asyncio.sleep(0.1)  # acks are fire-and-forget publishes
    info = await streams.js.consumer_info(streams.names[0], durable)
    return info.num_pending, info.num_ack_pending


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_jetstream_settles_by_outcome(streams: Streams, kind: str) -> None:
    error = FAILURES[kind]

    @obskit.traced.consumer(
        streams.subject, system="nats", settle=True, max_attempts=3, retry_delay=0
    )
    async def handle(msg: Msg) -> None:
        if error is not None:
            raise error(kind)

    with capture() as tel:
        with obskit.publishing(streams.subject, system="nats") as headers:
            await streams.js.publish(streams.subject, b"order-1", headers=headers)
        subscription = await streams.js.pull_subscribe(streams.subject, durable="workers")
        for _ in EXPECTED[kind]:
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)

    assert deliveries(tel, streams.subject) == EXPECTED[kind]
    producer = tel.span(f"send {streams.subject}", SpanKind.PRODUCER)
    for span in tel.find_spans(f"process {streams.subject}", SpanKind.CONSUMER):
        assert_parent(producer, span)
    assert await pending(streams, "workers") == (0, 0)
    dead = await streams.js.stream_info(streams.names[1])
    if EXPECTED[kind][-1][1] == "dead_letter":
        assert dead.state.messages == 1
        letter = await streams.js.get_last_msg(streams.names[1], streams.dead_letter)
        assert letter.data == b"order-1"
        assert letter.headers["traceparent"] == headers["traceparent"]
        assert letter.headers["obskit-error-kind"] == kind
        assert letter.headers["obskit-attempt"] == str(len(EXPECTED[kind]))
        assert letter.headers["obskit-dead-letter-from"] == streams.subject
    else:
        assert dead.state.messages == 0


async def test_nak_waits_for_the_retry_delay(streams: Streams) -> None:
    @obskit.traced.consumer(streams.subject, system="nats", settle=True, retry_delay=2.0)
    async def handle(msg: Msg) -> None:
        raise TransientError("down")

    with capture() as tel:
        await streams.js.publish(streams.subject, b"order-1")
        subscription = await streams.js.pull_subscribe(streams.subject, durable="slow")
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
        with pytest.raises(nats.errors.TimeoutError):  # not redelivered before the delay
            await subscription.fetch(1, timeout=0.5)
        (again,) = await subscription.fetch(1, timeout=5)
        await handle(again)

    assert deliveries(tel, streams.subject) == [(1, "retry"), (2, "retry")]
    spans = tel.find_spans(f"process {streams.subject}", SpanKind.CONSUMER)
    assert all((s.attributes or {})["obskit.context.missing"] is True for s in spans)


async def test_broker_dead_letter_terminates(streams: Streams) -> None:
    @obskit.traced.consumer(
        streams.subject, system="nats", settle=True, dead_letter=BROKER_DEAD_LETTER
    )
    async def handle(msg: Msg) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        await streams.js.publish(streams.subject, b"order-1")
        subscription = await streams.js.pull_subscribe(
            streams.subject, durable="term", config=ConsumerConfig(ack_wait=1)
        )
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
        with pytest.raises(nats.errors.TimeoutError):  # terminated: never redelivered
            await subscription.fetch(1, timeout=1.5)

    assert deliveries(tel, streams.subject) == [(1, "dead_letter")]
    assert await pending(streams, "term") == (0, 0)
    assert (await streams.js.stream_info(streams.names[1])).state.messages == 0


async def test_an_unstored_dead_letter_leaves_the_message_unsettled(streams: Streams) -> None:
    """No stream captures the dead-letter subject: nothing is dropped, it comes back."""

    @obskit.traced.consumer(
        streams.subject, system="nats", settle=True, dead_letter="nowhere.dead-letter"
    )
    async def handle(msg: Msg) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        await streams.js.publish(streams.subject, b"order-1")
        subscription = await streams.js.pull_subscribe(streams.subject, durable="lost")
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)

    assert await pending(streams, "lost") == (0, 1)  # delivered, still awaiting a settlement
    span = tel.span(f"process {streams.subject}", SpanKind.CONSUMER)
    assert "obskit.message.settlement" not in (span.attributes or {})
