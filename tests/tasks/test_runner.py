"""The one task runner both integrations share: duplicates, redeliveries and decisions."""

from __future__ import annotations

import pytest

from obskit.errors import BusinessRuleViolation, ErrorPolicy, PoisonMessage
from obskit.messaging import Settle
from obskit.tasks import TaskMessage, TaskRunner
from obskit.testing import Captured


def _message(attempt: int = 1, message_id: str = "t-1") -> TaskMessage:
    return TaskMessage(
        name="shop.charge", queue="celery", headers={}, message_id=message_id, attempt=attempt
    )


def test_the_same_task_delivered_twice_is_flagged_a_duplicate(telemetry: Captured) -> None:
    runner = TaskRunner("redis")
    runner.run(_message(), lambda: None)
    runner.run(_message(), lambda: None)  # the broker delivered the same task again
    runner.run(_message(attempt=2), lambda: None)  # a retry: a redelivery, not a duplicate
    first, again, retry = (dict(s.attributes or {}) for s in telemetry.spans)
    assert "obskit.message.duplicate" not in first
    assert again["obskit.message.duplicate"] is True
    assert "obskit.message.duplicate" not in retry
    assert retry["obskit.message.redelivered"] is True
    assert first["obskit.context.missing"] is True  # no enqueue context: said so on the span


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (BusinessRuleViolation("no"), 1, None),
        (PoisonMessage("bad"), 1, Settle.DEAD_LETTER),
        (TimeoutError("slow"), 1, Settle.RETRY),
        (TimeoutError("slow"), 3, Settle.DEAD_LETTER),
        (RuntimeError("bug"), 2, Settle.RETRY),
    ],
)
def test_decisions_follow_the_policy_and_the_budget(
    error: Exception, attempt: int, expected: Settle | None, telemetry: Captured
) -> None:
    runner = TaskRunner("redis", errors=ErrorPolicy.extend(max_attempts=3), retry_delay=0)

    def fail() -> None:
        raise error

    if expected is None:
        assert runner.run(_message(attempt), fail) is None  # a business refusal is an outcome
        settlement = "ack"
    else:
        with pytest.raises(type(error)):
            runner.run(_message(attempt), fail)
        decision = runner.decide(error, _message(attempt))
        assert decision is not None and decision.action is expected
        settlement = expected.value
    [span] = telemetry.spans
    assert (span.attributes or {})["obskit.message.settlement"] == settlement


def test_cancellation_is_never_settled() -> None:
    runner = TaskRunner("redis")
    assert runner.decide(KeyboardInterrupt(), _message()) is None


def test_open_sends_are_bounded_and_the_oldest_is_ended_unconfirmed(telemetry: Captured) -> None:
    from obskit.messaging._producer import start_send
    from obskit.tasks._runner import OpenSends

    sends = OpenSends(limit=2)
    for key in ("a", "b", "c"):
        sending = start_send(f"task.{key}", system="redis", carrier={})
        assert sending is not None
        sends.opened(key, sending)
    assert [s.name for s in telemetry.spans] == ["send task.a"]  # the oldest, never confirmed
    sends.confirmed("b")
    sends.confirmed("a")  # already ended: nothing twice
    assert [s.name for s in telemetry.spans] == ["send task.a", "send task.b"]
