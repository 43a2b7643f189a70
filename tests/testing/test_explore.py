"""explore(): every schedule up to a bound, minimal failures first, readable reports."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

import obskit
from obskit.errors import BusinessRuleViolation, TransientError
from obskit.testing import FAULTS, BusMessage, Exploration, InMemoryBus, explore

ORDERS = [("orders", {"id": "o-1"}), ("orders", {"id": "o-2"})]


def counting(bus: InMemoryBus) -> dict[str, int]:
    """Counts processed orders, not idempotent: a second delivery counts twice."""
    counts: dict[str, int] = {}

    @obskit.traced.consumer("orders", system="obskit.memory")
    def on_order(message: BusMessage) -> None:
        counts[message.body["id"]] = counts.get(message.body["id"], 0) + 1

    bus.subscribe("orders", on_order)
    return counts


def each_once(bus: InMemoryBus, counts: dict[str, int]) -> None:
    assert all(n == 1 for n in counts.values()), f"processed {counts}"


def test_the_space_is_every_schedule_up_to_max_faults() -> None:
    result = explore(counting, ORDERS, each_once, faults=["duplicate"])
    # two first deliveries, each duplicated or not: 1 calm run, 2 with one fault, 1 with two
    assert (result.runs, result.exhaustive, result.tried) == (4, True, {"duplicate": 3})
    assert [f.faults for f in result.failures] == [
        ("duplicate",),
        ("duplicate",),
        ("duplicate", "duplicate"),
    ]
    assert explore(counting, ORDERS, each_once, faults=["duplicate"], max_faults=1).runs == 3


def test_reorder_tries_every_delivery_order_once() -> None:
    orders: list[tuple[str, ...]] = []

    def setup(bus: InMemoryBus) -> list[str]:
        seen: list[str] = []
        bus.subscribe("q", lambda message: seen.append(message.body))
        return seen

    def record(bus: InMemoryBus, seen: list[str]) -> bool:
        orders.append(tuple(seen))
        return True

    result = explore(setup, [("q", "a"), ("q", "b"), ("q", "c")], record, faults=["reorder"])
    assert result.runs == 6 and result.exhaustive and not result.failures
    assert sorted(orders) == sorted(itertools.permutations("abc"))


def test_the_minimal_failure_comes_first_and_reads_plainly() -> None:
    result = explore(counting, ORDERS, each_once)
    first = result.failures[0]
    assert first.faults == ("duplicate",)
    assert first.schedule == (
        "deliver orders {'id': 'o-1'}",
        "deliver orders {'id': 'o-2'}",
        "duplicate orders {'id': 'o-1'}",
    )
    assert first.reason.startswith("the invariant failed: processed {'o-1': 2, 'o-2': 1}")
    assert all(len(f.faults) >= len(first.faults) for f in result.failures)
    with pytest.raises(AssertionError) as raised:
        result.assert_ok()
    report = str(raised.value)
    assert report.startswith(
        f"explore(): {len(result.failures)} of {result.runs} schedules failed"
        f" ({len(result.failures) - 1} more failing schedules); the first:\n"
        "faults: duplicate\n"
        "schedule:\n"
        "  deliver orders {'id': 'o-1'}\n"
        "  deliver orders {'id': 'o-2'}\n"
        "  duplicate orders {'id': 'o-1'}\n"
        "reason: the invariant failed: processed {'o-1': 2, 'o-2': 1}"
    )
    # the waterfall of that run, replayed: the second delivery of o-1 is flagged a duplicate
    traces = report.split("traces:\n", 1)[1]
    o1 = traces.split("\n\n")[0]
    processed = [line for line in o1.splitlines() if line.lstrip().startswith("process orders")]
    assert [line.endswith("ok, duplicate") for line in processed] == [False, True]


def test_redeliver_loses_the_ack_and_the_broker_says_attempt_two() -> None:
    attempts: list[int] = []

    def setup(bus: InMemoryBus) -> dict[str, int]:
        bus.subscribe("orders", lambda message: attempts.append(message.attempt))
        return {}

    result = explore(setup, ORDERS[:1], lambda bus, state: True, faults=["redeliver"])
    assert result.runs == 2 and attempts == [1, 1, 2]
    failing = explore(counting, ORDERS[:1], each_once, faults=["redeliver"])
    assert [f.schedule for f in failing.failures] == [
        (
            "deliver orders {'id': 'o-1'}",
            "lose the ack of orders {'id': 'o-1'}",
            "redeliver orders {'id': 'o-1'} (attempt 2)",
        )
    ]


def test_delay_delivers_after_everything_else_and_old() -> None:
    ages: list[float] = []

    def setup(bus: InMemoryBus) -> list[str]:
        seen: list[str] = []

        @obskit.traced.consumer("orders", system="obskit.memory")
        def handler(message: BusMessage) -> None:
            seen.append(message.body["id"])
            ages.append(round(message.published_at - BASE[0]))

        bus.subscribe("orders", handler)
        return seen

    BASE = [0.0]

    def first_wins(bus: InMemoryBus, seen: list[str]) -> bool:
        return seen[0] == "o-1"

    import time

    BASE[0] = time.time()
    result = explore(setup, ORDERS, first_wins, faults=["delay"], max_faults=1)
    [failure] = result.failures
    assert failure.schedule == (
        "delay orders {'id': 'o-1'}",
        "deliver orders {'id': 'o-2'}",
        "deliver late orders {'id': 'o-1'} (60 s old)",
    )
    assert failure.reason == "the invariant returned False"
    assert "late 60s" in failure.waterfall  # the consumer span records the age
    assert sorted(set(ages)) == [-60, 0]


def lost_update(atomic: bool, wait: float = 0) -> Any:
    def setup(bus: InMemoryBus) -> dict[str, Any]:
        state: dict[str, Any] = {"total": 0}
        lock = asyncio.Lock()

        async def add(message: BusMessage) -> None:
            total = state["total"]
            await asyncio.sleep(wait)  # an await between the read and the write
            state["total"] = total + message.body["n"]

        async def add_atomically(message: BusMessage) -> None:
            async with lock:  # a contended lock parks the second delivery on a real future
                await add(message)

        bus.subscribe("sums", add_atomically if atomic else add)
        return state

    return setup


def adds_up(bus: InMemoryBus, state: dict[str, Any]) -> None:
    assert state["total"] == 3, f"total is {state['total']}"


def test_concurrent_interleaves_async_handlers_at_their_awaits() -> None:
    messages = [("sums", {"n": 1}), ("sums", {"n": 2})]
    result = explore(lost_update(atomic=False), messages, adds_up, faults=["concurrent"])
    first = result.failures[0]
    assert (first.faults, first.schedule) == (
        ("concurrent",),
        (
            "deliver sums {'n': 1}",
            "pause sums {'n': 1} at an await",
            "deliver sums {'n': 2}",
            "resume sums {'n': 1}",
        ),
    )
    assert first.reason.startswith("the invariant failed: total is 1")
    assert {f.faults for f in result.failures} == {("concurrent",), ("concurrent", "concurrent")}
    atomic = explore(lost_update(atomic=True), messages, adds_up, faults=["concurrent"])
    assert atomic.runs == 2 and not atomic.failures


def test_a_delivery_waiting_on_real_time_is_waited_for_unless_concurrent() -> None:
    messages = [("sums", {"n": 1}), ("sums", {"n": 2})]
    calm = explore(lost_update(atomic=False, wait=0.002), messages, adds_up, faults=["reorder"])
    assert calm.runs == 2 and not calm.failures  # one message at a time, like prefetch=1
    result = explore(lost_update(atomic=False, wait=0.002), messages, adds_up, faults=FAULTS[-1:])
    assert result.failures[0].faults == ("concurrent",)
    assert result.failures[0].schedule[:3] == (
        "deliver sums {'n': 1}",
        "pause sums {'n': 1} at an await",
        "deliver sums {'n': 2}",
    )
    atomic = explore(lost_update(atomic=True, wait=0.002), messages, adds_up, faults=FAULTS[-1:])
    assert atomic.exhaustive and atomic.runs > 1 and not atomic.failures


@pytest.mark.parametrize("settle", [False, True])
def test_an_unexpected_error_fails_the_run_even_when_the_redelivery_succeeds(settle: bool) -> None:
    class OutOfStock(BusinessRuleViolation): ...

    def setup(bus: InMemoryBus) -> None:
        @obskit.traced.consumer("orders", system="obskit.memory", settle=settle)
        def on_order(message: BusMessage) -> None:
            if message.body["id"] == "refused":
                raise OutOfStock("no stock")  # a business outcome: no failure
            if message.body["id"] == "flaky" and message.attempt == 1:
                raise TransientError("timeout")  # expected, retried: no failure
            if message.body["id"] == "buggy" and message.attempt == 1:
                raise KeyError("sku")  # unexpected: a failure, although attempt 2 succeeds

        bus.subscribe("orders", on_order)

    bodies = [("orders", {"id": name}) for name in ("refused", "flaky", "buggy")]
    result = explore(setup, bodies, lambda bus, state: True, faults=[])
    assert result.runs == 1
    [failure] = result.failures
    # with settle=True the decorator settled the error itself: its type is what the bus sees
    error = "HandledError('KeyError')" if settle else "KeyError('sku')"
    assert failure.reason == (
        "handler test_an_unexpected_error_fails_the_run_even_when_the_redelivery_succeeds"
        f".<locals>.setup.<locals>.on_order raised {error} (unexpected) on "
        "orders {'id': 'buggy'} (attempt 1)"
    )
    assert failure.schedule[-2:] == (
        "retry orders {'id': 'flaky'} (attempt 2)",
        "retry orders {'id': 'buggy'} (attempt 2)",
    )


def test_cascades_are_explored_too() -> None:
    def setup(bus: InMemoryBus) -> list[str]:
        shipped: list[str] = []
        bus.subscribe("orders", lambda m: bus.publish("shipping", {"id": m.body["id"]}))
        bus.subscribe("shipping", lambda m: shipped.append(m.body["id"]))
        return shipped

    def shipped_once(bus: InMemoryBus, shipped: list[str]) -> None:
        assert sorted(shipped) == ["o-1"], shipped

    result = explore(setup, ORDERS[:1], shipped_once, faults=["duplicate"], max_faults=1)
    schedules = [f.schedule for f in result.failures]
    assert schedules == [
        (
            "deliver orders {'id': 'o-1'}",
            "duplicate orders {'id': 'o-1'}",
            "deliver shipping {'id': 'o-1'}",
            "deliver shipping {'id': 'o-1'}",
        ),
        (
            "deliver orders {'id': 'o-1'}",
            "deliver shipping {'id': 'o-1'}",
            "duplicate shipping {'id': 'o-1'}",
        ),
    ]


def test_a_sample_is_seeded_and_covers_every_fault() -> None:
    messages = [("sums", {"n": 1}), ("sums", {"n": 2}), ("sums", {"n": 0})]

    def sample(seed: int) -> Exploration:
        return explore(lost_update(atomic=False), messages, adds_up, max_runs=40, seed=seed)

    first, again, other = sample(7), sample(7), sample(8)
    assert first.runs == 40 and not first.exhaustive
    assert set(first.tried) == set(FAULTS)
    assert [f.schedule for f in first.failures] == [f.schedule for f in again.failures]
    assert [f.schedule for f in first.failures] != [f.schedule for f in other.failures]


async def test_explore_refuses_to_run_inside_an_event_loop() -> None:
    with pytest.raises(RuntimeError, match="outside a running loop"):
        explore(counting, ORDERS, each_once)


def test_unknown_faults_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown faults \['dupe'\]"):
        explore(counting, ORDERS, each_once, faults=["dupe"])


def test_the_fixture_makes_explore_one_line(explore: Any) -> None:
    def idempotent(bus: InMemoryBus) -> dict[str, int]:
        counts: dict[str, int] = {}
        bus.subscribe("orders", lambda m: counts.setdefault(m.body["id"], 1))
        return counts

    assert explore(idempotent, ORDERS, each_once).runs > 1
    with pytest.raises(AssertionError, match="faults: duplicate"):
        explore(counting, ORDERS, each_once)


def test_a_run_that_cannot_be_replayed_still_reports_its_failure() -> None:
    calls = itertools.count()

    def changing(bus: InMemoryBus) -> None:
        if next(calls) > 0:  # the replay for the traces meets other handlers
            bus.subscribe("orders", lambda m: bus.publish("audit", m.body))

    def breaking(bus: InMemoryBus) -> None:
        if next(calls) > 2:
            raise ConnectionError("the test database went away")

    never = ORDERS[:1], lambda bus, state: False
    [changed] = explore(changing, *never, faults=[]).failures
    assert changed.waterfall.startswith(
        "  (the replay took another schedule: are the handlers deterministic?)\ntrace "
    )
    [broken] = explore(breaking, *never, faults=[]).failures
    assert broken.waterfall == (
        "  (the run could not be replayed for its traces: "
        "ConnectionError('the test database went away'))"
    )
    assert str(broken).endswith(f"traces:\n{broken.waterfall}")


def test_a_runaway_run_is_stopped_and_its_deliveries_closed_cleanly() -> None:
    def setup(bus: InMemoryBus) -> None:
        async def ping(message: BusMessage) -> None:
            bus.publish("ping", message.body)  # forever
            await asyncio.sleep(0)
            await asyncio.sleep(0)  # 3 steps a delivery: the limit stops one half-way

        bus.subscribe("ping", ping)

    with pytest.raises(RuntimeError, match="a run took more than 10000 steps"):
        explore(setup, [("ping", 1)], lambda bus, state: True, faults=[])


def test_handlers_written_for_a_real_client_are_explored_unchanged() -> None:
    import json

    import aio_pika

    def setup(bus: InMemoryBus) -> list[tuple[str, bool]]:
        seen: list[tuple[str, bool]] = []

        @obskit.traced.consumer("orders", system="rabbitmq")
        async def on_order(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                seen.append((json.loads(message.body)["id"], bool(message.redelivered)))

        bus.subscribe("orders", on_order, shape="aio-pika")
        return seen

    def once(bus: InMemoryBus, seen: list[tuple[str, bool]]) -> None:
        assert len(seen) == len({order for order, _ in seen}), seen

    result = explore(setup, ORDERS[:1], once, faults=["duplicate", "redeliver"], max_faults=1)
    assert [(f.faults, f.reason.splitlines()[0]) for f in result.failures] == [
        (("duplicate",), "the invariant failed: [('o-1', False), ('o-1', False)]"),
        (("redeliver",), "the invariant failed: [('o-1', False), ('o-1', True)]"),
    ]
