"""``settle=True`` on NATS JetStream: ack, nak(delay) and term() by outcome, attempts from the
delivery metadata, dead letters in a stream."""

from __future__ import annotations

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from opentelemetry.trace import SpanKind
from tests.support.brokers import EXPECTED, JetStream, fail_as, round_trip, settlements

import obskit
from obskit.errors import PoisonMessage, TransientError
from obskit.messaging import BROKER_DEAD_LETTER
from obskit.testing import capture

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_jetstream_settles_by_outcome(jetstream: JetStream, kind: str) -> None:
    @obskit.traced.consumer(
        jetstream.subject, system="nats", settle=True, max_attempts=3, retry_delay=0
    )
    async def handle(msg: Msg) -> None:
        fail_as(kind)

    with capture() as tel:
        _ack, headers = await jetstream.publish()
        subscription = await jetstream.subscribe("workers")
        for _ in EXPECTED[kind]:
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)

    assert settlements(tel, jetstream.subject) == EXPECTED[kind]
    round_trip(tel, jetstream.subject)  # every attempt stays in the producer's trace
    assert await jetstream.pending("workers") == (0, 0)
    dead_letters = await jetstream.dead_letters()
    if EXPECTED[kind][-1][1] == "dead_letter":
        assert dead_letters == 1
        letter = await jetstream.js.get_last_msg(
            jetstream.dead_letter_stream, jetstream.dead_letter
        )
        assert letter.data == b"order-1"
        assert letter.headers["traceparent"] == headers["traceparent"]
        assert letter.headers["obskit-error-kind"] == kind
        assert letter.headers["obskit-attempt"] == str(len(EXPECTED[kind]))
        assert letter.headers["obskit-dead-letter-from"] == jetstream.subject
    else:
        assert dead_letters == 0


async def test_nak_waits_for_the_retry_delay(jetstream: JetStream) -> None:
    @obskit.traced.consumer(jetstream.subject, system="nats", settle=True, retry_delay=2.0)
    async def handle(msg: Msg) -> None:
        raise TransientError("down")

    with capture() as tel:
        await jetstream.js.publish(jetstream.subject, b"order-1")  # no trace context
        subscription = await jetstream.subscribe("slow")
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
        with pytest.raises(nats.errors.TimeoutError):  # not redelivered before the delay
            await subscription.fetch(1, timeout=0.5)
        (again,) = await subscription.fetch(1, timeout=5)
        await handle(again)

    assert settlements(tel, jetstream.subject) == [(1, "retry"), (2, "retry")]
    spans = tel.find_spans(f"process {jetstream.subject}", SpanKind.CONSUMER)
    assert all((s.attributes or {})["obskit.context.missing"] is True for s in spans)


async def test_broker_dead_letter_terminates(jetstream: JetStream) -> None:
    @obskit.traced.consumer(
        jetstream.subject, system="nats", settle=True, dead_letter=BROKER_DEAD_LETTER
    )
    async def handle(msg: Msg) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        await jetstream.js.publish(jetstream.subject, b"order-1")  # no trace context
        subscription = await jetstream.subscribe("term", config=ConsumerConfig(ack_wait=1))
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
        with pytest.raises(nats.errors.TimeoutError):  # terminated: never redelivered
            await subscription.fetch(1, timeout=1.5)

    assert settlements(tel, jetstream.subject) == [(1, "dead_letter")]
    assert await jetstream.pending("term") == (0, 0)
    assert await jetstream.dead_letters() == 0


async def test_an_unstored_dead_letter_leaves_the_message_unsettled(jetstream: JetStream) -> None:
    """No stream captures the dead-letter subject: nothing is dropped, it comes back."""

    @obskit.traced.consumer(
        jetstream.subject, system="nats", settle=True, dead_letter="nowhere.dead-letter"
    )
    async def handle(msg: Msg) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        await jetstream.js.publish(jetstream.subject, b"order-1")  # no trace context
        subscription = await jetstream.subscribe("lost")
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)

    assert await jetstream.pending("lost") == (0, 1)  # delivered, still awaiting a settlement
    span = tel.span(f"process {jetstream.subject}", SpanKind.CONSUMER)
    assert "obskit.message.settlement" not in (span.attributes or {})
