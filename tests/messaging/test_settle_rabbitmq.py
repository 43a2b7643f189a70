"""``settle=True`` on RabbitMQ through pika and aio-pika: exact attempts, what stays in the
queue, what reaches the dead-letter place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import aio_pika
import pika
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from tests.conftest import require_broker
from tests.messaging.conftest import unique

import obskit
from obskit.errors import BusinessRuleViolation, PoisonMessage, TransientError
from obskit.messaging import BROKER_DEAD_LETTER, pika_properties
from obskit.testing import Captured, assert_parent, capture

pytestmark = pytest.mark.broker

URL = "amqp://guest:guest@127.0.0.1:5672/"
FAILURES: dict[str, type[Exception] | None] = {
    "ok": None,
    "business": BusinessRuleViolation,
    "transient": TransientError,
    "poison": PoisonMessage,
    "unexpected": KeyError,
}


@pytest.fixture
def channel() -> Iterator[Any]:
    require_broker("rabbitmq")
    parameters = pika.URLParameters(URL + "?socket_timeout=5&blocked_connection_timeout=5")
    connection = pika.BlockingConnection(parameters)
    try:
        yield connection.channel()
    finally:
        connection.close()


@pytest.fixture
def queues(channel: Any) -> Iterator[list[str]]:
    """Names to delete after the test (the queue, its dead letters, its delay queues)."""
    names: list[str] = []
    yield names
    for name in names:
        for suffix in ("", ".dead-letter", ".retry.100ms", ".retry.200ms"):
            channel.queue_delete(name + suffix)


def declare(channel: Any, queues: list[str], prefix: str, **arguments: Any) -> str:
    """A fresh queue (and its dead-letter queue, so the test can look into it at once)."""
    queue = unique(prefix)
    queues.append(queue)
    quorum = arguments.get("x-queue-type") == "quorum"
    channel.queue_declare(queue, durable=quorum, arguments=arguments or None)
    channel.queue_declare(f"{queue}.dead-letter", durable=True)
    return queue


def failing(kind: str) -> Callable[[], None]:
    def fail() -> None:
        error = FAILURES[kind]
        if error is not None:
            raise error(kind)

    return fail


def publish(channel: Any, queue: str, body: bytes = b"order-1") -> str:
    """Publish with trace context; the producer's traceparent."""
    with obskit.publishing(queue, system="rabbitmq") as headers:
        channel.basic_publish("", queue, body, pika_properties(headers, message_id="m-1"))
    return str(headers["traceparent"])


def drain(channel: Any, queue: str, handler: Any, calls: int) -> None:
    """Consume until ``handler`` ran ``calls`` times (or 5 s), then stop."""
    count = [0]

    def counting(*args: Any) -> None:
        handler(*args)
        count[0] += 1
        if count[0] >= calls:
            args[0].stop_consuming()

    channel.basic_consume(queue, counting)
    channel.connection.call_later(5, channel.stop_consuming)
    channel.start_consuming()
    assert count[0] == calls


def get(channel: Any, queue: str) -> tuple[Any, Any, bytes]:
    """``basic_get`` once the message is there (a quorum queue commits it a moment later)."""
    for _ in range(100):
        method, properties, body = channel.basic_get(queue)
        if method is not None:
            return method, properties, body
        channel.connection.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue}")


def remaining(channel: Any, queue: str) -> list[tuple[bytes, dict[str, Any]]]:
    """What is left in ``queue`` (bodies and headers), consumed with acks."""
    found = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return found
        found.append((body, dict(properties.headers or {})))


def deliveries(tel: Captured, queue: str) -> list[tuple[int, str]]:
    """``(attempt, settlement)`` of each consumer span, in order."""
    spans = sorted(
        tel.find_spans(f"process {queue}", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
    )
    return [_attempt_and_settlement(span) for span in spans]


def _attempt_and_settlement(span: ReadableSpan) -> tuple[int, str]:
    attributes = span.attributes or {}
    return int(attributes["obskit.message.attempt"]), str(attributes["obskit.message.settlement"])  # type: ignore[arg-type]


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


EXPECTED = {
    "ok": [(1, "ack")],
    "business": [(1, "ack")],
    "poison": [(1, "dead_letter")],
    "transient": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
    "unexpected": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
}


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_pika_basic_consume_settles_by_outcome(
    channel: Any, queues: list[str], kind: str, queue_type: str
) -> None:
    arguments = {"x-queue-type": "quorum"} if queue_type == "quorum" else {}
    queue = declare(channel, queues, f"settle-{kind}", **arguments)
    fail = failing(kind)

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=3, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        fail()

    with capture() as tel:
        traceparent = publish(channel, queue)
        drain(channel, queue, on_message, calls=len(EXPECTED[kind]))

    assert deliveries(tel, queue) == EXPECTED[kind]
    producer = tel.span(f"send {queue}", SpanKind.PRODUCER)
    for span in tel.find_spans(f"process {queue}", SpanKind.CONSUMER):
        assert_parent(producer, span)  # every attempt stays in the producer's trace
    assert remaining(channel, queue) == []
    letters = remaining(channel, f"{queue}.dead-letter")
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


def test_quorum_delivery_count_adds_to_the_attempt(channel: Any, queues: list[str]) -> None:
    """A redelivery the broker counted (another consumer requeued it) is attempt 2."""
    queue = declare(channel, queues, "settle-quorum-count", **{"x-queue-type": "quorum"})

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise TransientError("still down")

    with capture() as tel:
        publish(channel, queue)
        method = get(channel, queue)[0]
        channel.basic_nack(method.delivery_tag, requeue=True)  # a crash, in effect
        drain(channel, queue, on_message, calls=1)

    assert deliveries(tel, queue) == [(2, "dead_letter")]
    assert len(remaining(channel, f"{queue}.dead-letter")) == 1


def test_pika_basic_get_is_read_and_settled(channel: Any, queues: list[str]) -> None:
    queue = declare(channel, queues, "settle-get")

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise TimeoutError("slow dependency")

    with capture() as tel:
        publish(channel, queue)
        for _ in range(2):
            on_message(channel, *get(channel, queue))

    producer = tel.span(f"send {queue}", SpanKind.PRODUCER)
    assert deliveries(tel, queue) == [(1, "retry"), (2, "dead_letter")]
    for span in tel.find_spans(f"process {queue}", SpanKind.CONSUMER):
        assert_parent(producer, span)
        assert "obskit.context.missing" not in (span.attributes or {})
    assert remaining(channel, queue) == []
    assert len(remaining(channel, f"{queue}.dead-letter")) == 1


def test_broker_dead_letter_exchange_receives_the_message(channel: Any, queues: list[str]) -> None:
    parked = declare(channel, queues, "settle-dlx-parked")
    dlx = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": parked}
    queue = declare(channel, queues, "settle-dlx", **dlx)

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, dead_letter=BROKER_DEAD_LETTER)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        raise PoisonMessage("cannot decode")

    with capture() as tel:
        traceparent = publish(channel, queue)
        drain(channel, queue, on_message, calls=1)

    assert deliveries(tel, queue) == [(1, "dead_letter")]
    _method, properties, _body = get(channel, parked)  # dead-lettering is asynchronous
    assert properties.headers["traceparent"] == traceparent
    assert properties.headers["x-death"][0]["reason"] == "rejected"
    assert remaining(channel, parked) == []
    assert remaining(channel, queue) == remaining(channel, f"{queue}.dead-letter") == []


def test_retry_delay_parks_the_copy_in_a_delay_queue(channel: Any, queues: list[str]) -> None:
    queue = declare(channel, queues, "settle-delay")
    seen: list[dict[str, Any]] = []

    @obskit.traced.consumer(
        queue, system="rabbitmq", settle=True, max_attempts=3, retry_delay=lambda n: n / 10
    )
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        seen.append(dict(properties.headers))
        raise TransientError("down")

    with capture() as tel:
        publish(channel, queue)
        drain(channel, queue, on_message, calls=3)

    assert deliveries(tel, queue) == [(1, "retry"), (2, "retry"), (3, "dead_letter")]
    # each retry waited in the delay queue for its attempt (0.1 s, then 0.2 s), then came back
    waited = [[d["queue"] for d in h.get("x-death", [])] for h in seen]
    assert waited == [
        [],
        [f"{queue}.retry.100ms"],
        [f"{queue}.retry.200ms", f"{queue}.retry.100ms"],
    ]
    assert [h.get("obskit-attempt") for h in seen] == [None, 2, 3]
    assert len(remaining(channel, f"{queue}.dead-letter")) == 1


def test_pika_select_connection_settles() -> None:
    require_broker("rabbitmq")
    queue = unique("settle-select")
    state: dict[str, Any] = {"calls": 0}

    @obskit.traced.consumer(queue, system="rabbitmq", settle=True, max_attempts=2, retry_delay=0)
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        state["calls"] += 1
        if state["calls"] == 2:  # after this attempt's settlement, look and clean up
            ch.connection.ioloop.call_later(0.2, finish)
        raise TransientError("down")

    def finish() -> None:
        channel = state["channel"]

        def on_dead_letters(frame: Any) -> None:
            state["dead_letters"] = frame.method.message_count
            channel.queue_declare(queue, passive=True, callback=on_queue)

        def on_queue(frame: Any) -> None:
            state["left"] = frame.method.message_count
            channel.queue_delete(queue)
            channel.queue_delete(
                f"{queue}.dead-letter", callback=lambda _f: channel.connection.close()
            )

        channel.queue_declare(f"{queue}.dead-letter", passive=True, callback=on_dead_letters)

    def on_declared(_frame: Any) -> None:
        channel = state["channel"]
        with obskit.publishing(queue, system="rabbitmq") as headers:
            channel.basic_publish("", queue, b"select", pika_properties(headers))
        channel.basic_consume(queue, on_message)

    def on_channel(channel: Any) -> None:
        state["channel"] = channel
        channel.queue_declare(queue, callback=on_declared)

    connection = pika.SelectConnection(
        pika.URLParameters(URL),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_close_callback=lambda conn, reason: conn.ioloop.stop(),
    )
    connection.ioloop.call_later(5, connection.ioloop.stop)
    with capture() as tel:
        try:
            connection.ioloop.start()
        finally:
            connection.ioloop.close()

    assert deliveries(tel, queue) == [(1, "retry"), (2, "dead_letter")]
    assert (state["left"], state["dead_letters"]) == (0, 1)


@pytest.mark.parametrize("style", ["callback", "iterator", "process"])
async def test_aio_pika_settles_in_every_consume_style(style: str) -> None:
    require_broker("rabbitmq")
    connection = await aio_pika.connect(URL, timeout=5)
    async with connection:
        channel = await connection.channel()
        name = unique(f"settle-aio-{style}")
        queue = await channel.declare_queue(name)
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

        try:
            with capture() as tel:
                with obskit.publishing(name, system="rabbitmq") as headers:
                    await channel.default_exchange.publish(
                        aio_pika.Message(b"order-1", headers=headers), routing_key=name
                    )
                await run()
            await asyncio.sleep(0.1)  # the last settlement reaches the broker
            left = await channel.declare_queue(name, passive=True)
            dead = await channel.declare_queue(f"{name}.dead-letter", passive=True)
            letter = await dead.get(timeout=5)
            assert letter is not None
            await letter.ack()
            assert left.declaration_result.message_count == 0
            assert dead.declaration_result.message_count == 1
            assert letter.headers["traceparent"] == headers["traceparent"]
            assert letter.headers["obskit-attempt"] == "3"
        finally:
            await queue.delete(if_unused=False, if_empty=False)
            await channel.queue_delete(f"{name}.dead-letter")

    assert deliveries(tel, name) == [(1, "retry"), (2, "retry"), (3, "dead_letter")]


async def test_a_message_the_handler_settled_itself_is_left_alone() -> None:
    """``message.process()`` inside the handler acks or rejects first: obskit does not settle
    twice, and the span shows what the handler did."""
    require_broker("rabbitmq")
    connection = await aio_pika.connect(URL, timeout=5)
    async with connection:
        channel = await connection.channel()
        name = unique("settle-self")
        queue = await channel.declare_queue(name)

        @obskit.traced.consumer(name, system="rabbitmq", settle=True, retry_delay=0)
        async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():  # rejects (no requeue) when the body raises
                if message.body == b"bad":
                    raise TransientError("down")

        try:
            with capture() as tel:
                for body in (b"good", b"bad"):
                    await channel.default_exchange.publish(aio_pika.Message(body), name)
                    await handle(await queue.get(timeout=5))
            await asyncio.sleep(0.1)
            left = await channel.declare_queue(name, passive=True)
            assert left.declaration_result.message_count == 0  # no retry copy was published
        finally:
            await queue.delete(if_unused=False, if_empty=False)

    spans = sorted(tel.find_spans(f"process {name}"), key=lambda s: s.start_time or 0)
    assert [(s.attributes or {})["obskit.message.settlement"] for s in spans] == ["ack", "reject"]
    assert tel.metric_points("obskit.message.settlements") == []
