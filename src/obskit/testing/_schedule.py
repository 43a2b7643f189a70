"""One schedule of deliveries, executed: the decisions a broker makes, and the faults.

Whenever more than one thing could happen next, a run meets a *decision*: which queued message
is delivered (``reorder``), how (``duplicate``, ``redeliver``: the handler runs but its ack is
lost, ``delay``: delivered after everything else, old), and, when an async handler reaches an
``await``, whether another delivery runs before it resumes (``concurrent``). Option 0 of each
decision is what a calm broker does; any other is one perturbation. A run follows the choices
it is given at its first decisions, takes option 0 afterwards, and records every decision it
met, so the search knows the schedules one perturbation further.

Async handlers are driven here, not by asyncio's scheduler: each delivery is a coroutine
stepped with ``send()`` in its own ``contextvars`` context (as a task would be), so the
interleaving is a decision like any other. Awaiting a real future (``asyncio.sleep(0.1)``, a
contended lock) parks that delivery: the calm broker waits for it, one message at a time.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from obskit.testing._bus import Delivery, Entry, InMemoryBus

FAULTS: Final = ("reorder", "duplicate", "redeliver", "delay", "concurrent")
#: how old a delayed message is when it finally arrives (its ``obskit.message.age``)
DELAY_SECONDS: Final = 60.0
#: deliveries and await points one run may take before it is called runaway
STEP_LIMIT: Final = 10_000

Setup = Callable[[InMemoryBus], Any]
Message = tuple[str, Any]
# a decision's options, by the fault each one applies (None: option 0, the calm broker)
Options = list[str | None]


@dataclass(frozen=True)
class Scenario:
    """What every run starts from: the handlers, the messages, the faults to try."""

    setup: Setup
    messages: Sequence[Message]
    faults: frozenset[str]


class _Fiber:
    """One delivery in progress: the bus's delivery generator and the await it is inside."""

    __slots__ = (
        "context", "delivery", "entry", "error", "iterator", "result", "started", "waiting",
    )  # fmt: skip

    def __init__(self, entry: Entry, delivery: Delivery) -> None:
        self.entry = entry
        self.delivery = delivery
        self.context = contextvars.copy_context()
        self.iterator: Any = None  # the __await__ iterator of what a handler returned
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiting: asyncio.Future[Any] | None = None
        self.started = False

    @property
    def ready(self) -> bool:
        return self.waiting is None or self.waiting.done()

    def step(self) -> bool:
        """Run to the next ``await`` (False) or to the end of the delivery (True)."""
        self.waiting, self.started = None, True
        run = self.context.run
        while True:
            if self.iterator is None:
                try:
                    if self.error is not None:
                        error, self.error = self.error, None
                        awaitable = run(self.delivery.throw, error)
                    else:
                        awaitable = run(self.delivery.send, self.result)
                except StopIteration:
                    return True
                self.result = None
                self.iterator = awaitable.__await__()
            try:
                yielded = run(self.iterator.send, None)
            except StopIteration as stop:
                self.iterator, self.result = None, stop.value
                continue
            except Exception as exc:
                self.iterator, self.error = None, exc
                continue
            if yielded is None:  # a bare yield: asyncio.sleep(0), a plain await point
                return False
            if isinstance(yielded, asyncio.Future):
                self.waiting = yielded
                return False
            raise TypeError(f"explore() drives asyncio awaits only; a handler awaited {yielded!r}")

    def close(self) -> None:
        """Abandon the delivery (in its own context, where its context variables were set)."""
        close = getattr(self.iterator, "close", None)
        if close is not None:
            self.context.run(close)
        self.context.run(self.delivery.close)


class Run:
    """One schedule, executed: follows ``choices`` at its first decisions, then option 0."""

    def __init__(self, scenario: Scenario, choices: Sequence[int]) -> None:
        self.scenario = scenario
        self.choices = list(choices)
        self.points: list[Options] = []
        self.schedule: list[str] = []
        self.faults: list[str] = []
        self.bus = InMemoryBus()
        self.fibers: list[_Fiber] = []
        self.late: list[Entry] = []
        self.names: dict[int, tuple[str, str]] = {}  # id(entry) -> (verb, suffix) in the schedule
        self.lose_ack: set[int] = set()  # id(entry) of deliveries whose ack never arrives

    def decide(self, options: Options) -> int:
        """The option taken at the next decision (only decisions with a choice are counted)."""
        if len(options) < 2:
            return 0
        index = len(self.points)
        self.points.append(options)
        choice = self.choices[index] if index < len(self.choices) else 0
        if choice >= len(options):  # the handlers did something else than when this was planned
            raise RuntimeError(
                "explore(): a schedule could not be replayed; are the handlers deterministic?"
            )
        fault = options[choice]
        if fault is not None:
            self.faults.append(fault)
        return choice

    def fault(self, name: str) -> bool:
        return name in self.scenario.faults

    async def execute(self) -> Any:
        scenario, bus, fibers = self.scenario, self.bus, self.fibers
        state = scenario.setup(bus)
        for destination, body in scenario.messages:
            bus.publish(destination, body)
        current: _Fiber | None = None
        last: _Fiber | None = None
        try:
            for _ in range(STEP_LIMIT):
                if current is None:
                    current = await self._next()
                    if current is None:
                        return state
                if current is not last and current.started:
                    self.schedule.append(f"resume {current.entry.message.describe()}")
                last = current
                if current.step():
                    fibers.remove(current)
                    self._finished(current)
                    current = None
                else:
                    current = await self._suspended(current)
            raise RuntimeError(f"explore(): a run took more than {STEP_LIMIT} steps")
        finally:
            for fiber in fibers:
                fiber.close()

    async def _next(self) -> _Fiber | None:
        """After a delivery ends: resume the oldest one in progress, else start the next
        queued one, else release the delayed ones; None when everything is delivered."""
        while True:
            ready = [f for f in self.fibers if f.ready]
            if ready:
                return ready[0]
            if self.fibers:
                await self._wait()
            elif self.bus._queue:
                fiber = self._start()
                if fiber is not None:
                    return fiber
            elif self.late:
                self.bus._queue.extend(self.late)
                self.late.clear()
            else:
                return None

    async def _suspended(self, current: _Fiber) -> _Fiber | None:
        """``current`` stopped at an await. A calm broker waits for it (one message at a time);
        ``concurrent`` lets another delivery start or resume first."""
        others = [f for f in self.fibers if f is not current and f.ready]
        if not current.ready and others:
            return others[0]  # it waits on something: what is running already goes on
        queued = 1 if self.bus._queue else 0
        switches = queued + (len(others) if current.ready else 0)
        choice = 0
        if switches and self.fault("concurrent"):
            choice = self.decide([None] + ["concurrent"] * switches)
        if choice == 0:
            if not current.ready:
                await self._wait()
                if not current.ready:  # another delivery's future came first
                    return next(f for f in self.fibers if f.ready)
            return current
        self.schedule.append(f"pause {current.entry.message.describe()} at an await")
        return self._start() if choice <= queued else others[choice - queued - 1]

    async def _wait(self) -> None:
        """Until one of the futures the deliveries in progress wait on is done."""
        futures = {f.waiting for f in self.fibers if f.waiting is not None and not f.ready}
        await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)

    def _start(self) -> _Fiber | None:
        """Take a queued entry (``reorder`` picks another than the oldest) and deliver it."""
        queue = self.bus._queue
        options: Options = [None]
        if self.fault("reorder"):
            options += ["reorder"] * (len(queue) - 1)
        entry = queue[self.decide(options)]
        queue.remove(entry)
        message = entry.message
        verb, suffix = self.names.pop(id(entry), ("deliver", ""))
        if message.attempt > 1 and not suffix:
            verb, suffix = "retry", f" (attempt {message.attempt})"
        elif verb == "deliver":  # a first delivery: the broker may misbehave with it
            how: Options = [None]
            how += [f for f in ("duplicate", "redeliver", "delay") if self.fault(f)]
            fault = how[self.decide(how)]
            if fault == "delay":
                delayed = Entry(message.again(delay=DELAY_SECONDS), entry.targets)
                self.names[id(delayed)] = ("deliver late", f" ({DELAY_SECONDS:.0f} s old)")
                self.late.append(delayed)
                self.schedule.append(f"delay {message.describe()}")
                return None
            if fault == "duplicate":
                copy = Entry(message.again(), entry.targets)
                self.names[id(copy)] = ("duplicate", "")
                queue.append(copy)
            elif fault == "redeliver":
                self.lose_ack.add(id(entry))
        self.schedule.append(f"{verb} {message.describe()}{suffix}")
        fiber = _Fiber(entry, self.bus.delivery(entry))
        self.fibers.append(fiber)
        return fiber

    def _finished(self, fiber: _Fiber) -> None:
        entry = fiber.entry
        if id(entry) in self.lose_ack:
            self.lose_ack.discard(id(entry))
            message = entry.message.again(attempt=entry.message.attempt + 1)
            again = Entry(message, entry.targets)
            self.names[id(again)] = ("redeliver", f" (attempt {message.attempt})")
            self.bus._queue.append(again)
            self.schedule.append(f"lose the ack of {entry.message.describe()}")
