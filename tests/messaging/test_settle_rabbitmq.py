"""``settle=True`` on RabbitMQ through pika and aio-pika: exact attempts, what stays in the
queue, what reaches the dead-letter place."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import pytest
from tests.support.brokers import (
    EXPECTED,
    FAILURES,
    AioRabbit,
    Rabbit,
    fail_as,
    round_trip,
    select_round_trip,
    settlements,
)

import obskit
from obskit.errors import PoisonMessage, TransientError
from obskit.messaging import BROKER_DEAD_LETTER
from obskit.testing import capture

pytestmark = pytest.mark.broker


def assert_dead_letter(
    letter: tuple[bytes, dict[str, Any]], queue: str, traceparent: str, kind: str, attempt: int
) -> None:
    body, headers = letter
    assert body == b"order-1"
    assert headers["traceparent"] == traceparent  # the original headers are kept
    assert headers[
        "obskit-error-type"
    ] == f"{FAILURES[kind].__module__}.{FAILURES[kind].__qualname__}".removeprefix("builtins.")  # type: ignore[union-attr]
    assert headers["obskit-error-kind"] == kind
    assert headers["obskit-attempt"] == str(attempt)
    assert headers["obskit-dead-letter-from"] == queue
    assert headers["obskit-dead-lettered-at"].endswith("+00:00")


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_pika_basic_consume_settles_by_outcome(rabbit: Rabbit, kind: str, queue_type: str) -> None:
    arguments = {"x-queue-type": "quorum"} if queue_type == "quorum" else {}
    queue = rabbit.queue(f"settle-{kind}", dead_letter=True, **arguments)

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=3, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        fail_as(kind)

    with capture() as tel:
        traceparent = rabbit.publish(queue, message_id="m-1")["traceparent"]
        rabbit.consume(queue, on_message, calls=len(EXPECTED[kind]))

    assert settlements(tel, queue) == EXPECTED[kind]
    round_trip(tel, queue)  # every attempt stays in the producer's trace
    assert rabbit.remaining(queue) == []
    letters = rabbit.remaining(f"{queue}.dead-letter")
    if EXPECTED[kind][-1][1] == "dead_letter":
        (letter,) = letters
        assert_dead_letter(letter, queue, traceparent, kind, attempt=len(EXPECTED[kind]))
    else:
        assert letters == []
    settled = {
        (attrs["obskit.message.settlement"], attrs.get("error.type")): point.value
        for attrs, point in tel.metric_points("obskit.message.settlements")
    }
    expected_counts: dict[tuple[str, Any], int] = {}
    error = None if FAILURES[kind] is None else tel.find_spans(f"process {queue}")[0].attributes
    for _attempt, settlement in EXPECTED[kind]:
        key = (settlement, (error or {}).get("error.type"))
        expected_counts[key] = expected_counts.get(key, 0) + 1
    assert settled == expected_counts


def test_quorum_delivery_count_adds_to_the_attempt(rabbit: Rabbit) -> None:
    """A redelivery the broker counted (another consumer requeued it) is attempt 2."""
    queue = rabbit.queue("settle-quorum-count", dead_letter=True, **{"x-queue-type": "quorum"})

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise TransientError("still down")

    with capture() as tel:
        rabbit.publish(queue, message_id="m-1")
        method = rabbit.get(queue)[0]
        rabbit.channel.basic_nack(method.delivery_tag, requeue=True)  # a crash, in effect
        rabbit.consume(queue, on_message, calls=1)

    assert settlements(tel, queue) == [(2, "dead_letter")]
    assert len(rabbit.remaining(f"{queue}.dead-letter")) == 1


def test_pika_basic_get_is_read_and_settled(rabbit: Rabbit) -> None:
    queue = rabbit.queue("settle-get", dead_letter=True)

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise TimeoutError("slow dependency")

    with capture() as tel:
        rabbit.publish(queue, message_id="m-1")
        for _ in range(2):
            on_message(rabbit.channel, *rabbit.get(queue))

    assert settlements(tel, queue) == [(1, "retry"), (2, "dead_letter")]
    for span in round_trip(tel, queue)[1]:
        assert "obskit.context.missing" not in (span.attributes or {})
    assert rabbit.remaining(queue) == []
    assert len(rabbit.remaining(f"{queue}.dead-letter")) == 1


def test_broker_dead_letter_exchange_receives_the_message(rabbit: Rabbit) -> None:
    parked = rabbit.queue("settle-dlx-parked", dead_letter=True)
    dlx = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": parked}
    queue = rabbit.queue("settle-dlx", dead_letter=True, **dlx)

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, dead_letter=BROKER_DEAD_LETTER)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        traceparent = rabbit.publish(queue, message_id="m-1")["traceparent"]
        rabbit.consume(queue, on_message, calls=1)

    assert settlements(tel, queue) == [(1, "dead_letter")]
    _method, properties, _body = rabbit.get(parked)  # dead-lettering is asynchronous
    assert properties.headers["traceparent"] == traceparent
    assert properties.headers["x-death"][0]["reason"] == "rejected"
    assert rabbit.remaining(parked) == []
    assert rabbit.remaining(queue) == rabbit.remaining(f"{queue}.dead-letter") == []


def test_retry_delay_parks_the_copy_in_a_delay_queue(rabbit: Rabbit) -> None:
    queue = rabbit.queue("settle-delay", dead_letter=True)
    seen: list[dict[str, Any]] = []

    @obskit.traced.consumer(
        queue, system="rabbitmq", settle=True, max_attempts=3, retry_delay=lambda n: n / 10
    )
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        seen.append(dict(properties.headers))
        raise TransientError("down")

    with capture() as tel:
        rabbit.publish(queue, message_id="m-1")
        rabbit.consume(queue, on_message, calls=3)

    assert settlements(tel, queue) == [(1, "retry"), (2, "retry"), (3, "dead_letter")]
    # each retry waited in the delay queue for its attempt (0.1 s, then 0.2 s), then came back
    waited = [[d["queue"] for d in h.get("x-death", [])] for h in seen]
    assert waited == [
        [],
        [f"{queue}.retry.100ms"],
        [f"{queue}.retry.200ms", f"{queue}.retry.100ms"],
    ]
    assert [h.get("obskit-attempt") for h in seen] == [None, 2, 3]
    assert len(rabbit.remaining(f"{queue}.dead-letter")) == 1


def test_pika_select_connection_settles(rabbit: Rabbit) -> None:
    queue = rabbit.queue("settle-select", dead_letter=True)
    calls = [0]

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        calls[0] += 1
        if calls[0] == 2:  # after this attempt's settlement reached the broker, stop
            ch.connection.ioloop.call_later(0.2, ch.connection.close)
        raise TransientError("down")

    with capture() as tel:
        select_round_trip(queue, on_message, b"select")

    assert settlements(tel, queue) == [(1, "retry"), (2, "dead_letter")]
    assert (rabbit.count(queue), rabbit.count(f"{queue}.dead-letter")) == (0, 1)


@pytest.mark.parametrize("style", ["callback", "iterator", "process"])
async def test_aio_pika_settles_in_every_consume_style(aio_rabbit: AioRabbit, style: str) -> None:
    queue = await aio_rabbit.queue(f"settle-aio-{style}")
    name = queue.name
    calls: list[int] = []

    @obskit.traced.consumer(name, system="rabbitmq", settle=True, max_attempts=3, retry_delay=0)
    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        calls.append(1)
        raise TransientError("down")

    async def run() -> None:
        if style == "callback":
            done = asyncio.Event()

            finished: list[int] = []

            async def callback(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                await handle(message)
                finished.append(1)  # deliveries overlap: count ends, not starts
                if len(finished) == 3:
                    done.set()

            tag = await queue.consume(callback)
            await asyncio.wait_for(done.wait(), 5)
            await queue.cancel(tag)
            return
        async with queue.iterator(timeout=5) as messages:
            async for message in messages:
                if style == "process":
                    async with message.process(ignore_processed=True):
                        await handle(message)
                else:
                    await handle(message)
                if len(calls) == 3:
                    return

    with capture() as tel:
        headers = await aio_rabbit.publish(name)
        await run()
    await asyncio.sleep(0.1)  # the last settlement reaches the broker
    dead = await aio_rabbit.channel.declare_queue(f"{name}.dead-letter", passive=True)
    letter = await dead.get(timeout=5)
    assert letter is not None
    await letter.ack()
    assert await aio_rabbit.count(name) == 0
    assert dead.declaration_result.message_count == 1
    assert letter.headers["traceparent"] == headers["traceparent"]
    assert letter.headers["obskit-attempt"] == "3"

    assert settlements(tel, name) == [(1, "retry"), (2, "retry"), (3, "dead_letter")]


async def test_a_message_the_handler_settled_itself_is_left_alone(aio_rabbit: AioRabbit) -> None:
    """``message.process()`` inside the handler acks or rejects first: obskit does not settle
    twice, and the span shows what the handler did."""
    queue = await aio_rabbit.queue("settle-self")
    name = queue.name

    @obskit.traced.consumer(name, system="rabbitmq", settle=True, retry_delay=0)
    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():  # rejects (no requeue) when the body raises
            if message.body == b"bad":
                raise TransientError("down")

    with capture() as tel:
        for body in (b"good", b"bad"):
            await aio_rabbit.publish(name, body)
            await handle(await queue.get(timeout=5))
    await asyncio.sleep(0.1)
    assert await aio_rabbit.count(name) == 0  # no retry copy was published

    spans = sorted(tel.find_spans(f"process {name}"), key=lambda s: s.start_time or 0)
    assert [(s.attributes or {})["obskit.message.settlement"] for s in spans] == ["ack", "reject"]
    assert tel.metric_points("obskit.message.settlements") == []
