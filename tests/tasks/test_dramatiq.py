"""Dramatiq actors as messages, with a real worker on the real Redis and RabbitMQ here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from obskit.errors import BusinessRuleViolation, PoisonMessage
from obskit.tasks import instrument_dramatiq
from obskit.testing import Captured
from tests.conftest import require_broker
from tests.tasks.conftest import unique, wait_for_spans


class OutOfStock(BusinessRuleViolation):
    pass


def _broker(kind: str) -> Any:
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url="redis://127.0.0.1:6379/4", namespace=unique("dramatiq"))
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    return RabbitmqBroker(url="amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture(scope="module", params=["rabbitmq", "redis"])
def shop(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A broker with five actors on one fresh queue, instrumented, and a worker consuming it."""
    require_broker(request.param)
    broker = _broker(request.param)
    queue = unique("queue").replace("-", "_")
    calls: dict[str, int] = {}

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}.charge")
    def charge(order: str) -> str:
        return f"charged {order}"

    instrument_dramatiq(broker, retry_delay=0.001)  # actors declared before and after

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}.flaky")
    def flaky(order: str) -> None:
        calls[order] = calls.get(order, 0) + 1
        if calls[order] < 3:
            raise TimeoutError("payment gateway busy")

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}.refuse")
    def refuse(order: str) -> None:
        raise OutOfStock(order)

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}.poison")
    def poison(order: str) -> None:
        raise PoisonMessage(order)

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}.busy", max_retries=2)
    def busy(order: str) -> None:
        calls[order] = calls.get(order, 0) + 1
        raise TimeoutError("still busy")

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        yield broker, queue, calls, request.param
    finally:
        worker.stop()
        broker.close()


def _runs(telemetry: Captured, actor: str, count: int, bound: float = 30) -> list[ReadableSpan]:
    found = wait_for_spans(
        telemetry,
        count,
        lambda s: s.kind is SpanKind.CONSUMER and s.name == f"process {actor}",
        bound=bound,
    )
    return sorted(found, key=lambda s: s.start_time or 0)


def _settlements(spans: list[ReadableSpan]) -> list[tuple[Any, Any]]:
    return [
        (
            (s.attributes or {}).get("obskit.message.attempt"),
            (s.attributes or {}).get("obskit.message.settlement"),
        )
        for s in spans
    ]


def _dead_letters(broker: Any, queue: str, kind: str) -> int:
    """How many messages sit in Dramatiq's dead-letter place for ``queue``."""
    if kind == "redis":
        return int(broker.client.zcard(f"{broker.namespace}:{queue}.XQ"))
    import pika

    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/"))
    try:
        declared = connection.channel().queue_declare(f"{queue}.XQ", passive=True)
        return int(declared.method.message_count)
    except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing dead-lettered
        return 0
    finally:
        connection.close()


def test_send_and_run_form_one_trace(shop: Any, telemetry: Captured) -> None:
    broker, queue, _, system = shop
    broker.get_actor(f"{queue}.charge").send("o-1")
    [run] = _runs(telemetry, f"{queue}.charge", 1)
    send = telemetry.span(f"send {queue}.charge", SpanKind.PRODUCER)
    assert run.parent is not None and run.parent.span_id == send.context.span_id
    assert [link.context.span_id for link in run.links] == [send.context.span_id]
    attributes = dict(run.attributes or {})
    assert attributes["obskit.task.name"] == f"{queue}.charge"
    assert attributes["messaging.destination.name"] == queue
    assert attributes["messaging.system"] == system
    assert attributes["obskit.message.attempt"] == 1
    assert attributes["obskit.message.settlement"] == "ack"
    assert attributes["obskit.message.age"] >= 0


def test_transient_failure_is_retried_with_counted_attempts(shop: Any, telemetry: Captured) -> None:
    broker, queue, calls, _ = shop
    broker.get_actor(f"{queue}.flaky").send("o-2")
    runs = _runs(telemetry, f"{queue}.flaky", 3)
    assert _settlements(runs) == [(1, "retry"), (2, "retry"), (3, "ack")]
    assert len({s.context.trace_id for s in runs}) == 1
    assert calls["o-2"] == 3


def test_business_refusal_is_acknowledged(shop: Any, telemetry: Captured) -> None:
    broker, queue, _, _ = shop
    broker.get_actor(f"{queue}.refuse").send("o-3")
    [run] = _runs(telemetry, f"{queue}.refuse", 1)
    assert run.status.status_code is not StatusCode.ERROR
    assert _settlements([run]) == [(1, "ack")]
    assert len(_runs(telemetry, f"{queue}.refuse", 2, bound=1.5)) == 1


def test_poison_goes_to_the_dead_letters_at_once(shop: Any, telemetry: Captured) -> None:
    broker, queue, _, kind = shop
    before = _dead_letters(broker, queue, kind)
    broker.get_actor(f"{queue}.poison").send("o-4")
    [run] = _runs(telemetry, f"{queue}.poison", 1)
    assert run.status.status_code is StatusCode.ERROR
    assert _settlements([run]) == [(1, "dead_letter")]
    assert len(_runs(telemetry, f"{queue}.poison", 2, bound=1.5)) == 1
    assert _dead_letters(broker, queue, kind) == before + 1


def test_an_actors_own_budget_wins(shop: Any, telemetry: Captured) -> None:
    broker, queue, calls, kind = shop
    before = _dead_letters(broker, queue, kind)
    broker.get_actor(f"{queue}.busy").send("o-5")
    runs = _runs(telemetry, f"{queue}.busy", 3)
    assert _settlements(runs) == [(1, "retry"), (2, "retry"), (3, "dead_letter")]
    assert len(_runs(telemetry, f"{queue}.busy", 4, bound=1.5)) == 3
    assert calls["o-5"] == 3
    assert _dead_letters(broker, queue, kind) == before + 1
