"""``settle=True`` through the adapter seam: a message type with its own settler (as a client
library would register), sync and async handlers, batches, with and without an SDK."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import obskit
from obskit.errors import BusinessRuleViolation, ErrorPolicy, PoisonMessage, TransientError
from obskit.messaging import MessageInfo, SettleRequest, register_adapter
from obskit.testing import capture


@dataclass
class Letter:
    """A message whose client settles through ``settlements`` (sync) or ``asettle`` (async)."""

    attempt: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    settlements: list[tuple[str, int, float, str | None]] = field(default_factory=list)


class AsyncLetter(Letter):
    pass


def _read(letter: Letter) -> MessageInfo:
    return MessageInfo(headers=letter.headers, attempt=letter.attempt)


def _settle(letter: Letter, request: SettleRequest) -> None:
    decision = request.decision
    target = request.dead_letter if decision.action.value == "dead_letter" else None
    letter.settlements.append((decision.action.value, decision.attempt, decision.delay, target))
    if request.failure:
        letter.headers.update(request.failure)


async def _asettle(letter: Letter, request: SettleRequest) -> None:
    await asyncio.sleep(0)
    _settle(letter, request)


register_adapter(__name__, "Letter", _read, settler=_settle)
register_adapter(__name__, "AsyncLetter", _read, settler=_asettle)

OUTCOMES: list[tuple[type[Exception] | None, int, tuple[str, int, float, str | None]]] = [
    (None, 1, ("ack", 1, 0.0, None)),
    (BusinessRuleViolation, 4, ("ack", 4, 0.0, None)),
    (PoisonMessage, 1, ("dead_letter", 1, 0.0, "orders.dead-letter")),
    (TransientError, 1, ("retry", 1, 0.5, None)),
    (KeyError, 2, ("retry", 2, 0.5, None)),
    (TransientError, 3, ("dead_letter", 3, 0.0, "orders.dead-letter")),
]


@pytest.mark.parametrize(("error", "attempt", "expected"), OUTCOMES)
def test_sync_handler_settles_and_never_reraises(
    error: type[Exception] | None, attempt: int, expected: tuple[Any, ...]
) -> None:
    @obskit.traced.consumer(
        "orders", system="rabbitmq", settle=True, max_attempts=3, retry_delay=0.5
    )
    def handle(letter: Letter) -> str:
        if error is not None:
            raise error("no")
        return "done"

    letter = Letter(attempt=attempt)
    with capture() as tel:
        result = handle(letter)  # never raises: obskit settled the message
    assert result == (None if error else "done")
    assert letter.settlements == [expected]
    span = tel.span("process orders", SpanKind.CONSUMER)
    attributes = span.attributes or {}
    assert attributes["obskit.message.settlement"] == expected[0]
    if error is not None:
        assert attributes["obskit.error.kind"] == ErrorPolicy().classify(error("no")).value
        assert (span.status.status_code is StatusCode.ERROR) == (error is not BusinessRuleViolation)
    (point,) = tel.metric_points("obskit.message.settlements")
    assert point[0]["obskit.message.settlement"] == expected[0]
    assert point[0].get("error.type") == (None if error is None else attributes["error.type"])
    (duration,) = tel.metric_points("messaging.process.duration")
    assert duration[0].get("error.type") == point[0].get("error.type")


@pytest.mark.parametrize(("error", "attempt", "expected"), OUTCOMES)
def test_async_handler_awaits_an_async_settler(
    error: type[Exception] | None, attempt: int, expected: tuple[Any, ...]
) -> None:
    @obskit.traced.consumer(
        "orders", system="rabbitmq", settle=True, max_attempts=3, retry_delay=0.5
    )
    async def handle(letter: Letter) -> None:
        if error is not None:
            raise error("no")

    letter = AsyncLetter(attempt=attempt)
    with capture() as tel:
        asyncio.run(handle(letter))
    assert letter.settlements == [expected]
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert (span.attributes or {})["obskit.message.settlement"] == expected[0]


def test_dead_letter_carries_the_failure() -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", settle=True, dead_letter="parked")
    def handle(letter: Letter) -> None:
        raise PoisonMessage("bad json")

    letter = Letter(
        headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    )
    handle(letter)
    assert letter.settlements == [("dead_letter", 1, 0.0, "parked")]
    assert letter.headers["obskit-error-type"] == "obskit.errors.PoisonMessage"
    assert letter.headers["obskit-error-kind"] == "poison"
    assert letter.headers["obskit-attempt"] == "1"
    assert letter.headers["obskit-dead-letter-from"] == "orders"


def test_retry_delay_zero_retries_at_once() -> None:
    """A zero delay is a retry at once (settling without any SDK: tests/test_no_sdk.py)."""

    @obskit.traced.consumer("orders", system="rabbitmq", settle=True, retry_delay=0)
    def handle(letter: Letter) -> None:
        raise TransientError("down")

    letter = Letter(attempt=2)
    handle(letter)
    assert letter.settlements == [("retry", 2, 0.0, None)]


def test_policy_defaults_apply_when_the_decorator_says_nothing() -> None:
    policy = ErrorPolicy.extend(max_attempts=2, retry_delay=7)

    @obskit.traced.consumer("orders", system="rabbitmq", settle=True, errors=policy)
    def handle(letter: Letter) -> None:
        raise TransientError("down")

    first, second = Letter(attempt=1), Letter(attempt=2)
    handle(first)
    handle(second)
    assert first.settlements == [("retry", 1, 7.0, None)]
    assert second.settlements == [("dead_letter", 2, 0.0, "orders.dead-letter")]


def test_without_settle_exceptions_still_reach_the_client() -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(letter: Letter) -> None:
        raise TransientError("down")

    letter = Letter()
    with pytest.raises(TransientError):
        handle(letter)
    assert letter.settlements == []


def test_batch_settles_each_message_by_its_own_attempt() -> None:
    @obskit.traced.batch_consumer(
        "orders", system="kafka", settle=True, max_attempts=3, retry_delay=0
    )
    def handle(letters: list[Letter]) -> None:
        raise TransientError("down")

    batch = [Letter(attempt=1), Letter(attempt=3)]
    with capture() as tel:
        handle(batch)
    assert [letter.settlements for letter in batch] == [
        [("retry", 1, 0.0, None)],
        [("dead_letter", 3, 0.0, "orders.dead-letter")],
    ]
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert (span.attributes or {})["obskit.message.settlement"] == "dead_letter"  # the worst
    counts = {
        attrs["obskit.message.settlement"]: point.value
        for attrs, point in tel.metric_points("obskit.message.settlements")
    }
    assert counts == {"retry": 1, "dead_letter": 1}


def test_a_type_without_settler_runs_as_before_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
    def handle(message: dict[str, Any]) -> None:
        raise TransientError("down")

    with caplog.at_level(logging.WARNING, logger="obskit.messaging"):
        for _ in range(2):
            with pytest.raises(TransientError):  # not settled, so not swallowed
                handle({"headers": {}})
    warnings = [r.getMessage() for r in caplog.records if "cannot settle" in r.getMessage()]
    assert warnings == [
        "obskit: consumer 'process orders' cannot settle a dict message (no settler for its "
        "type); it runs without settle=True. Pass the client's own message, or register a "
        "settler with obskit.messaging.register_adapter(..., settler=...)"
    ]


def test_a_failing_settlement_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Letter):
        pass

    def explode(letter: Letter, request: SettleRequest) -> None:
        raise ConnectionError("channel closed")

    register_adapter(__name__, "Broken", _read, settler=explode)

    @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
    def handle(letter: Letter) -> None:
        return None

    with caplog.at_level(logging.ERROR, logger="obskit.messaging"), capture() as tel:
        handle(Broken())
    assert "settling a Broken failed; the broker keeps it unsettled" in caplog.text
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert "obskit.message.settlement" not in (span.attributes or {})


def test_generators_cannot_settle() -> None:
    with pytest.raises(TypeError, match="settle=True needs a function"):

        @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
        def handle(letter: Letter) -> Any:
            yield letter


def test_methods_keep_their_binding() -> None:
    class Worker:
        seen: list[int] = []

        @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
        def handle(self, letter: Letter) -> None:
            self.seen.append(letter.attempt)

    letter = Letter(attempt=2)
    Worker().handle(letter)
    assert Worker.seen == [2]
    assert letter.settlements == [("ack", 2, 0.0, None)]


def test_a_sync_handler_cannot_await_an_async_client(caplog: pytest.LogCaptureFixture) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
    def handle(letter: Letter) -> None:
        return None

    letter = AsyncLetter()
    with caplog.at_level(logging.ERROR, logger="obskit.messaging"), capture() as tel:
        handle(letter)
    assert letter.settlements == []  # left unsettled, and said so
    assert "an async client's message needs an async handler to be settled" in caplog.text
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert "obskit.message.settlement" not in (span.attributes or {})


@pytest.mark.parametrize("bad", [0, -1])
def test_max_attempts_below_one_is_refused_when_decorating(bad: int) -> None:
    with pytest.raises(ValueError, match="max_attempts counts deliveries, at least 1"):
        obskit.traced.consumer("orders", system="rabbitmq", settle=True, max_attempts=bad)


def test_cancellation_is_not_settled_and_goes_back_to_the_caller() -> None:
    """Stopped from outside, not failed: unsettled, so the broker delivers it again."""

    @obskit.traced.consumer("orders", system="rabbitmq", settle=True)
    async def handle(letter: Letter) -> None:
        raise asyncio.CancelledError

    letter = AsyncLetter()
    with capture() as tel, pytest.raises(asyncio.CancelledError):
        asyncio.run(handle(letter))
    assert letter.settlements == []
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert "obskit.message.settlement" not in (span.attributes or {})
