"""The one settlement rule: ack, retry within the budget, or dead-letter, by error kind."""

from __future__ import annotations

import logging

import pytest

from obskit.errors import ErrorKind, ErrorPolicy, exponential_backoff
from obskit.messaging import Settle, SettlementDecision, decide_settlement


@pytest.mark.parametrize("attempt", [1, 4, 5, 99])
@pytest.mark.parametrize("kind", [None, ErrorKind.BUSINESS])
def test_success_and_business_refusals_are_acknowledged_on_any_attempt(
    kind: ErrorKind | None, attempt: int
) -> None:
    assert decide_settlement(kind, attempt) == SettlementDecision(Settle.ACK, attempt)


@pytest.mark.parametrize("attempt", [1, 2, 5])
def test_poison_is_dead_lettered_at_once(attempt: int) -> None:
    decision = decide_settlement(ErrorKind.POISON, attempt, max_attempts=5, retry_delay=0)
    assert decision == SettlementDecision(Settle.DEAD_LETTER, attempt)


@pytest.mark.parametrize("kind", [ErrorKind.TRANSIENT, ErrorKind.UNEXPECTED])
def test_failures_retry_within_the_budget_then_dead_letter(kind: ErrorKind) -> None:
    actions = [
        decide_settlement(kind, attempt, max_attempts=3, retry_delay=0).action
        for attempt in (1, 2, 3, 4)
    ]
    assert actions == [Settle.RETRY, Settle.RETRY, Settle.DEAD_LETTER, Settle.DEAD_LETTER]


def test_max_attempts_one_never_retries() -> None:
    assert decide_settlement(ErrorKind.TRANSIENT, 1, max_attempts=1).action is Settle.DEAD_LETTER


@pytest.mark.parametrize("attempt", [None, 0, -3])
def test_an_unknown_attempt_counts_as_the_first(attempt: int | None) -> None:
    decision = decide_settlement(ErrorKind.TRANSIENT, attempt, retry_delay=0)
    assert decision == SettlementDecision(Settle.RETRY, 1, 0.0)
    assert decision.next_attempt == 2


def test_default_budget_is_five_attempts_with_a_short_exponential_backoff() -> None:
    delays = [decide_settlement(ErrorKind.TRANSIENT, attempt).delay for attempt in (1, 2, 3, 4)]
    assert delays == [0.1, 0.2, 0.4, 0.8]
    assert decide_settlement(ErrorKind.TRANSIENT, 5).action is Settle.DEAD_LETTER
    assert exponential_backoff(30) == 5.0  # capped


def test_retry_delay_constant_or_callable_of_the_failed_attempt() -> None:
    assert decide_settlement(ErrorKind.TRANSIENT, 2, retry_delay=1.5).delay == 1.5
    seen: list[int] = []

    def delay(attempt: int) -> float:
        seen.append(attempt)
        return attempt * 10.0

    assert decide_settlement(ErrorKind.TRANSIENT, 3, retry_delay=delay).delay == 30.0
    assert seen == [3]
    assert decide_settlement(ErrorKind.POISON, 1, retry_delay=delay).delay == 0.0
    assert seen == [3]  # no retry, no delay asked for


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_nonsensical_delays_mean_at_once(bad: float) -> None:
    assert decide_settlement(ErrorKind.TRANSIENT, 1, retry_delay=bad).delay == 0.0


def test_an_infinite_delay_is_capped_at_a_day() -> None:
    assert decide_settlement(ErrorKind.TRANSIENT, 1, retry_delay=float("inf")).delay == 86_400.0


def test_a_raising_delay_retries_at_once_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    def broken(attempt: int) -> float:
        raise ZeroDivisionError

    with caplog.at_level(logging.WARNING, logger="obskit.messaging"):
        decision = decide_settlement(ErrorKind.TRANSIENT, 2, retry_delay=broken)
    assert decision == SettlementDecision(Settle.RETRY, 2, 0.0)
    assert "retry_delay raised for attempt 2" in caplog.text


def test_error_policy_carries_the_default_budget() -> None:
    assert ErrorPolicy().max_attempts == 5
    assert ErrorPolicy().retry_delay is exponential_backoff
    policy = ErrorPolicy.extend(max_attempts=2, retry_delay=0)
    assert (policy.max_attempts, policy.retry_delay) == (2, 0)
    assert ErrorPolicy.extend().max_attempts == 5


def test_settlement_values_are_registered_members() -> None:
    from obskit.conventions import Level, default_registry

    registry = default_registry()
    for action in Settle:
        findings = registry.check("obskit.message.settlement", action.value)
        assert [f for f in findings if f.level > Level.INFORMATION] == []


def test_a_policy_budget_below_one_delivery_is_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts counts deliveries, at least 1: 0"):
        ErrorPolicy.extend(max_attempts=0)
