"""Celery tasks as messages, with a real worker on the real Redis and RabbitMQ here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import celery
import pytest
from celery.contrib.testing.worker import start_worker
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from obskit.errors import BusinessRuleViolation, PoisonMessage
from obskit.tasks import instrument_celery
from obskit.testing import Captured
from tests.conftest import require_broker
from tests.tasks.conftest import unique, wait_for_spans

BROKERS = {
    "redis": "redis://127.0.0.1:6379/3",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


class OutOfStock(BusinessRuleViolation):
    pass


def _consumers(name: str) -> Any:
    return lambda s: s.kind is SpanKind.CONSUMER and s.name == f"process {name}"


@pytest.fixture(scope="module", params=sorted(BROKERS))
def shop(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Celery app with four tasks, instrumented, and a solo worker thread consuming it."""
    require_broker(request.param)
    app = celery.Celery(unique("app"), broker=BROKERS[request.param])
    queue = unique("queue")
    app.conf.update(task_default_queue=queue, broker_connection_retry_on_startup=False)
    instrument_celery(app, retry_delay=0)
    calls: dict[str, int] = {}

    @app.task(name="shop.charge", shared=False)
    def charge(order: str) -> str:
        return f"charged {order}"

    @app.task(name="shop.flaky", shared=False)
    def flaky(order: str) -> str:
        calls[order] = calls.get(order, 0) + 1
        if calls[order] < 3:
            raise TimeoutError("payment gateway busy")
        return "ok"

    @app.task(name="shop.refuse", shared=False)
    def refuse(order: str) -> None:
        raise OutOfStock(f"no stock for {order}")

    @app.task(name="shop.poison", shared=False)
    def poison(order: str) -> None:
        raise PoisonMessage("undecodable")

    @app.task(name="shop.always_busy", shared=False)
    def always_busy(order: str) -> None:
        calls[order] = calls.get(order, 0) + 1
        raise TimeoutError("still busy")

    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield app, queue, calls, request.param


def _dead_letters(system: str, queue: str) -> list[dict[str, Any]]:
    """The headers of the task copies waiting on ``{queue}.dead-letter`` (read, never acked:
    they stay where they are)."""
    with celery.Celery(broker=BROKERS[system]).connection_for_write() as connection:
        simple = connection.SimpleQueue(f"{queue}.dead-letter")
        found = []
        while True:
            try:
                message = simple.get(block=True, timeout=0.5)
            except simple.Empty:
                break
            found.append(dict(message.headers))
        simple.close()
    return found


def _attempts(spans: list[ReadableSpan]) -> list[tuple[Any, Any]]:
    ordered = sorted(spans, key=lambda s: s.start_time or 0)
    return [
        (s.attributes.get("obskit.message.attempt"), s.attributes.get("obskit.message.settlement"))
        for s in ordered
        if s.attributes
    ]


def test_enqueue_and_run_form_one_trace(shop: Any, telemetry: Captured) -> None:
    app, queue, _, system = shop
    app.tasks["shop.charge"].delay("o-1")
    [run] = wait_for_spans(telemetry, 1, _consumers("shop.charge"))
    send = telemetry.span("send shop.charge", SpanKind.PRODUCER)
    assert run.parent is not None and run.parent.span_id == send.context.span_id
    assert run.context.trace_id == send.context.trace_id
    assert [link.context.span_id for link in run.links] == [send.context.span_id]
    attributes = dict(run.attributes or {})
    assert attributes["obskit.task.name"] == "shop.charge"
    assert attributes["messaging.destination.name"] == queue
    assert attributes["messaging.system"] == system
    assert attributes["obskit.message.attempt"] == 1
    assert attributes["obskit.message.settlement"] == "ack"
    assert attributes["obskit.message.age"] >= 0
    assert run.status.status_code is not StatusCode.ERROR


def test_transient_failure_is_retried_with_counted_attempts(shop: Any, telemetry: Captured) -> None:
    app, _, calls, _ = shop
    app.tasks["shop.flaky"].delay("o-2")
    runs = wait_for_spans(telemetry, 3, _consumers("shop.flaky"))
    assert calls["o-2"] == 3
    assert _attempts(runs) == [(1, "retry"), (2, "retry"), (3, "ack")]
    assert len({s.context.trace_id for s in runs}) == 1  # every retry stays in the trace
    assert [s.attributes.get("error.type") for s in sorted(runs, key=lambda s: s.start_time or 0)][
        :2
    ] == ["TimeoutError", "TimeoutError"]


def test_business_refusal_is_an_outcome_not_a_retry(shop: Any, telemetry: Captured) -> None:
    app, _, _, _ = shop
    app.tasks["shop.refuse"].delay("o-3")
    [run] = wait_for_spans(telemetry, 1, _consumers("shop.refuse"))
    assert run.status.status_code is not StatusCode.ERROR
    assert run.attributes is not None
    assert run.attributes["obskit.error.kind"] == "business"
    assert run.attributes["obskit.message.settlement"] == "ack"
    # a second run would have ended by now if Celery retried it: give it the same bound
    assert len(wait_for_spans(telemetry, 2, _consumers("shop.refuse"), bound=1.5)) == 1


def test_poison_is_dead_lettered_at_once(shop: Any, telemetry: Captured) -> None:
    app, queue, _, system = shop
    app.tasks["shop.poison"].delay("o-4")
    [run] = wait_for_spans(telemetry, 1, _consumers("shop.poison"))
    assert run.status.status_code is StatusCode.ERROR
    assert run.attributes is not None
    assert run.attributes["obskit.error.kind"] == "poison"
    assert run.attributes["obskit.message.settlement"] == "dead_letter"
    assert len(wait_for_spans(telemetry, 2, _consumers("shop.poison"), bound=1.5)) == 1
    # kept, with why it failed, in the run's trace
    [dead] = [d for d in _dead_letters(system, queue) if d["task"] == "shop.poison"]
    assert dead["obskit-error-kind"] == "poison"
    assert dead["obskit-error-type"] == "obskit.errors.PoisonMessage"
    assert dead["obskit-attempt"] == "1"
    assert dead["traceparent"].split("-")[1] == f"{run.context.trace_id:032x}"


def test_retry_budget_ends_in_a_dead_letter(shop: Any, telemetry: Captured) -> None:
    app, queue, calls, system = shop
    app.tasks["shop.always_busy"].delay("o-5")
    runs = wait_for_spans(telemetry, 5, _consumers("shop.always_busy"))
    assert _attempts(runs) == [(1, "retry"), (2, "retry"), (3, "retry"), (4, "retry"),
                               (5, "dead_letter")]  # fmt: skip
    assert len(wait_for_spans(telemetry, 6, _consumers("shop.always_busy"), bound=1.5)) == 5
    assert calls["o-5"] == 5
    [dead] = [d for d in _dead_letters(system, queue) if d["task"] == "shop.always_busy"]
    assert (dead["obskit-error-kind"], dead["obskit-attempt"]) == ("transient", "5")
    # retries republish under the same task id on the worker's thread, while the first send
    # may still be open here: no send is left as this thread's current span
    assert not trace.get_current_span().get_span_context().is_valid


def test_calling_a_task_directly_runs_it_untraced(shop: Any, telemetry: Captured) -> None:
    app, _, _, _ = shop
    assert app.tasks["shop.charge"]("o-6") == "charged o-6"
    assert [s for s in telemetry.spans if s.kind is SpanKind.CONSUMER] == []
